"""`mlflow server`'s options given to both servers: the same paths answer the same way."""

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

pytestmark = pytest.mark.mlflow_314

PREFIX = "/mlflow"
SEARCH = "/2.0/mlflow/experiments/search?max_results=1"
PATHS = [
    "/health",
    f"{PREFIX}/health",
    f"/api{SEARCH}",
    f"{PREFIX}/api{SEARCH}",
    f"/ajax-api{SEARCH}",
    f"{PREFIX}/ajax-api{SEARCH}",
]


def short_options(command: list[str]) -> list[str]:
    """`command` with --host, --port and --workers spelled -h, -p and -w."""
    short = {"--host": "-h", "--port": "-p", "--workers": "-w"}
    return [short.get(word, word) for word in command]


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    root: Path = tmp_path_factory.mktemp("prefixed")
    started: dict[str, LiveServer] = {}
    try:
        for name, build in (("mlflow", mlflow_command), ("trackstore", trackstore_command)):
            port = free_port()
            uri = f"sqlite:///{root / f'{name}.db'}"
            extra = ["--static-prefix", PREFIX, "--registry-store-uri", uri]
            command = short_options(build(uri, port, 1)) + extra
            started[name] = start(command, port, root / f"{name}.log", timeout=120)
        yield started
    finally:
        for server in started.values():
            server.stop()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_static_prefix_moves_the_same_paths(prefixed: dict[str, LiveServer]) -> None:
    answers = {
        name: {path: status(server.url + path) for path in PATHS}
        for name, server in prefixed.items()
    }
    assert answers["trackstore"] == answers["mlflow"]
    assert answers["trackstore"][f"{PREFIX}/ajax-api{SEARCH}"] == 200
    assert answers["trackstore"][f"/ajax-api{SEARCH}"] == 404


def test_the_client_works_without_the_prefix(prefixed: dict[str, LiveServer]) -> None:
    names = {
        name: [e.name for e in MlflowClient(server.url).search_experiments()]
        for name, server in prefixed.items()
    }
    assert names["trackstore"] == names["mlflow"] == ["Default"]
