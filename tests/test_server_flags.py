"""`trackstore server` takes `mlflow server`'s options; what it cannot do is one sentence."""

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from compat import TrackstoreError
from store import models
from store.server.server_flags import DEFAULT_BACKEND_STORE_URI, flags_from
from tests.cli import run_trackstore
from tests.live_server import (
    HOST,
    at_old_revision,
    free_port,
    recorded_revision,
    start,
    trackstore_command,
)

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"


def flags(**given: Any) -> Any:
    options: dict[str, Any] = {
        "backend_store_uri": "sqlite:///a.db", "registry_store_uri": None, "host": HOST,
        "port": 5000, "workers": 4, "static_prefix": "", "gunicorn_opts": None,
        "uvicorn_opts": None, "upgrade": False, "backup_to": None,
    }  # fmt: skip
    return flags_from(**{**options, **given})


def test_help_shows_mlflow_shapes_and_no_required_uri() -> None:
    result = run_trackstore("server", "--help")
    assert result.returncode == 0
    shapes = ["-h, --host", "-p, --port", "-w, --workers", "--registry-store-uri"]
    shapes += ["--static-prefix", "--gunicorn-opts", "--uvicorn-opts", "--backup-to"]
    for shape in shapes:
        assert shape in result.stdout
    assert "required" not in result.stdout


def test_backend_defaults_to_the_readme_database() -> None:
    assert flags(backend_store_uri=None).backend_store_uri == DEFAULT_BACKEND_STORE_URI


def test_registry_store_must_be_the_backend_store() -> None:
    assert flags(registry_store_uri="sqlite:///a.db").backend_store_uri == "sqlite:///a.db"
    with pytest.raises(TrackstoreError, match="differs from the backend store"):
        flags(registry_store_uri="postgresql://u:secret@h/registry")


@pytest.mark.parametrize("prefix", ["mlflow", "/mlflow/"])
def test_static_prefix_shape(prefix: str) -> None:
    with pytest.raises(TrackstoreError, match="must begin with '/' and not end with one"):
        flags(static_prefix=prefix)


def test_gunicorn_and_uvicorn_options_map_what_maps() -> None:
    chosen = flags(
        gunicorn_opts="--workers 2 --bind 0.0.0.0:8080 --timeout 60 --preload",
        uvicorn_opts="--timeout-keep-alive=7 --log-level DEBUG --reload",
    )
    assert (chosen.workers, chosen.host, chosen.port) == (2, "0.0.0.0", 8080)
    assert chosen.uvicorn_settings == {"timeout_keep_alive": 7, "log_level": "debug"}
    assert chosen.ignored == ["--timeout", "--preload", "--reload"]


def test_ignored_options_are_named_in_one_warning(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    command = trackstore_command(uri, port, 1, ["--gunicorn-opts", "--timeout 60 -w 1"])
    server = start(command, port, tmp_path / "server.log")
    server.stop()
    warnings = [line for line in server.output().splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: ignored --timeout from the gunicorn/uvicorn options: trackstore runs its own "
        "uvicorn workers, set with -w, -h, -p and the variables in the README."
    ]


def test_backup_to_needs_upgrade() -> None:
    with pytest.raises(TrackstoreError, match="add --upgrade or drop it"):
        flags(backup_to=Path("backup.db"))


@pytest.mark.parametrize("workers", [1, 2])
def test_busy_port_is_one_sentence(tmp_path: Path, workers: int) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_trackstore(
            "server", "--backend-store-uri", f"sqlite:///{tmp_path / 's.db'}",
            "-h", HOST, "-p", str(port), "-w", str(workers),
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: Port {port} on {HOST} is already in use; stop what listens there, or choose "
        "another port with -p/--port."
    )
    assert not (tmp_path / "s.db").exists()


def test_server_upgrade_takes_the_backup_first(tmp_path: Path) -> None:
    uri = at_old_revision(f"sqlite:///{tmp_path / 'store.db'}")
    backup = tmp_path / "before.db"
    port = free_port()
    command = trackstore_command(uri, port, 1, ["--upgrade", "--backup-to", str(backup)])
    server = start(command, port, tmp_path / "server.log")
    server.stop()
    assert recorded_revision(uri) == models.REVISION
    assert recorded_revision(f"sqlite:///{backup}") == "0584bdc529eb"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as answer:
            json.load(answer)
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_static_prefix_moves_the_ui_paths_as_mlflow_does(tmp_path: Path) -> None:
    port = free_port()
    command = trackstore_command(
        f"sqlite:///{tmp_path / 'store.db'}", port, 1, ["--static-prefix", "/mlflow"]
    )
    server = start(command, port, tmp_path / "server.log")
    try:
        ajax = "/ajax-api/2.0/mlflow/experiments/search?max_results=1"
        assert status(f"{server.url}/mlflow{ajax}") == 200
        assert status(f"{server.url}{ajax}") == 404
        assert status(f"{server.url}{SEARCH}") == 200
        assert status(f"{server.url}/mlflow{SEARCH}") == 404
    finally:
        server.stop()
