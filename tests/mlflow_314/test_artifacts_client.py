"""The MLflow 3.1.4 client's artifact calls against the README's `trackstore server` (no
--default-artifact-root, so runs get `mlflow-artifacts:/` roots served by the proxy) and against
`mlflow server` 3.1.4, side by side, with a local folder and with S3 (moto) as destination.

Each scenario runs against both servers; the answers (listings, downloaded bytes, predictions,
registered versions) must match once ids and clock times are placeholders.
"""

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client_scenarios import assert_same_answers, normalise
from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command
from tests.moto_s3 import MotoS3, moto_s3
from tests.twins import twin_database

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

pytestmark = [pytest.mark.mlflow_314, pytest.mark.backends("sqlite", "postgresql")]
MIB = 1024 * 1024
# The file sent by multipart upload; 300 by hand, small in CI.
BIG_MIB = int(os.environ.get("TRACKSTORE_BIG_ARTIFACT_MIB", "12"))


class AddN(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
    def __init__(self, n: int) -> None:
        self.n = n

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input + self.n


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    pytest.importorskip("boto3")
    with moto_s3(tmp_path_factory.mktemp("moto") / "moto.log") as s3:
        yield s3


@pytest.fixture(scope="module", params=["local", "s3"])
def servers(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LiveServer]]:
    root = tmp_path_factory.mktemp(f"artifact-servers-{request.param}")
    env: dict[str, str] = {}
    s3: MotoS3 | None = None
    if request.param == "s3":
        s3 = request.getfixturevalue("moto")
        env = s3.environment
    started: dict[str, LiveServer] = {}
    with twin_database(backend, tmp_path_factory) as twin:
        try:
            for name, uri in (("mlflow", twin), ("trackstore", backend)):
                destination = (
                    f"s3://{s3.new_bucket()}/artifacts" if s3 else str(root / f"{name}-artifacts")
                )
                port = free_port()
                extra = ["--artifacts-destination", destination]
                command = (
                    mlflow_command(uri, port, 1) + extra
                    if name == "mlflow"
                    else trackstore_command(uri, port, 1, ["--upgrade", *extra])
                )
                with pytest.MonkeyPatch.context() as environment:
                    environment.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
                    # Neither server may leave a folder in the checkout.
                    environment.chdir(root)
                    started[name] = start(command, port, root / f"{name}.log", env, timeout=180)
            with pytest.MonkeyPatch.context() as environment:
                for key, value in env.items():
                    environment.setenv(key, value)
                yield started
        finally:
            for server in started.values():
                server.stop()


@pytest.fixture(autouse=True)
def client_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "120")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    # S3 takes parts of at least 5 MiB (but the last).
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MIB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MIB))
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(MIB):
            sha.update(chunk)
    return sha.hexdigest()


def listing(client: MlflowClient, run_id: str, path: str | None = None) -> list[Any]:
    found: list[Any] = []
    for info in client.list_artifacts(run_id, path):
        found.append([info.path, info.is_dir, info.file_size])
        if info.is_dir:
            found += listing(client, run_id, info.path)
    return found


def downloaded(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def run_scenario(url: str, work: Path, big: Path, label: str) -> dict[str, Any]:
    """The calls; `label` keeps names apart between destinations sharing one database."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    mlflow.set_experiment(f"artifacts-client-{label}")
    files = work / "files"
    (files / "sub").mkdir(parents=True)
    (files / "a.txt").write_text("alpha")
    (files / "sub" / "b.bin").write_bytes(bytes(range(256)) * 10)
    single = work / "single.csv"
    single.write_text("x,y\n1,2\n")
    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [2, 1, 3])
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifacts(str(files), "folder")
        mlflow.log_dict({"k": [1, 2], "s": "v"}, "meta/d.json")
        mlflow.log_text("some text", "meta/t.txt")
        mlflow.log_figure(figure, "plots/fig.png")
        mlflow.log_artifact(str(big), "big")
        model = mlflow.pyfunc.log_model(
            name="adder", python_model=AddN(3), pip_requirements=["pandas"]
        )
    plt.close(figure)
    version = mlflow.register_model(model.model_uri, f"adder-{label}")
    loaded = mlflow.pyfunc.load_model(f"models:/adder-{label}/{version.version}")
    predicted = loaded.predict(pd.DataFrame({"x": [1, 2]}))
    target = work / "down"
    target.mkdir()
    client.download_artifacts(run.info.run_id, "", str(target))
    big_copy = work / "big-copy"
    big_copy.mkdir()
    mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path=f"big/{big.name}", dst_path=str(big_copy)
    )
    model_files = work / "model"
    model_files.mkdir()
    mlflow.artifacts.download_artifacts(artifact_uri=model.model_uri, dst_path=str(model_files))
    answer: dict[str, Any] = {
        "artifact_uri": run.info.artifact_uri,
        "listing": listing(client, run.info.run_id),
        "downloaded": downloaded(target),
        "big intact": digest(big_copy / big.name) == digest(big),
        "model files": sorted(downloaded(model_files)),
        "version": [version.name, version.version, version.status],
        "predicted": np.asarray(predicted).tolist(),
        "meta listing": [f.path for f in client.list_artifacts(run.info.run_id, "meta")],
    }
    sklearn = _sklearn_round_trip(work)
    if sklearn is not None:
        answer["sklearn"] = sklearn
    return answer


def _sklearn_round_trip(work: Path) -> list[Any] | None:
    try:
        from sklearn.linear_model import LinearRegression
    except ImportError:
        return None
    import numpy as np

    regression = LinearRegression().fit(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0]))
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            regression, name="linear", pip_requirements=["scikit-learn"]
        )
    loaded = mlflow.sklearn.load_model(info.model_uri)
    return [round(float(v), 6) for v in loaded.predict(np.array([[3.0], [4.0]]))]


def test_artifact_calls_give_the_same_results(
    servers: dict[str, LiveServer], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as sink:
        block = os.urandom(MIB)
        for index in range(BIG_MIB):
            sink.write(block[:-4] + index.to_bytes(4, "big"))
    answers = []
    for name in ("mlflow", "trackstore"):
        work = tmp_path / name
        work.mkdir()
        label = request.node.callspec.params["servers"]
        answers.append(normalise(run_scenario(servers[name].url, work, big, label)))
    theirs, ours = answers
    assert ours["big intact"] is True
    assert ours["predicted"] == [[4], [5]]
    assert_same_answers(theirs, ours)


def raw_answer(server: LiveServer, method: str, path: str, body: bytes | None) -> list[Any]:
    """Status and error code (or body) of one request sent with `path` exactly as given."""
    import http.client
    import json

    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=60)
    try:
        connection.request(method, path, body=body)
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        return [answer.status, "not JSON"]
    if answer.status >= 400:
        return [answer.status, decoded.get("error_code")]
    return [answer.status, decoded]


def bad_path_answers(server: LiveServer, bad: str) -> list[Any]:
    proxy = "/api/2.0/mlflow-artifacts/artifacts"
    return [
        raw_answer(server, "PUT", f"{proxy}/{bad}", b"evil"),
        raw_answer(server, "GET", f"{proxy}/{bad}", None),
        raw_answer(server, "GET", f"{proxy}?path={bad}", None),
    ]


@pytest.mark.parametrize("bad", ["../x.txt", "a/../../x.txt", "%2e%2e/x.txt", "%2E%2E%2Fx.txt"])
def test_the_proxy_refuses_paths_as_mlflow_does(servers: dict[str, LiveServer], bad: str) -> None:
    theirs, ours = (bad_path_answers(servers[name], bad) for name in ("mlflow", "trackstore"))
    assert ours == [[400, "INVALID_PARAMETER_VALUE"]] * 3
    assert_same_answers(theirs, ours)


@pytest.mark.parametrize("bad", ["a%5c..%5cx.txt", "a%00b.txt"])
def test_the_proxy_refuses_backslashes_and_nul_that_mlflow_takes_on_linux(
    servers: dict[str, LiveServer], bad: str
) -> None:
    """A deliberate difference: MLflow checks backslashes only on Windows and escapes control
    characters into the name; trackstore refuses both on every system."""
    theirs, ours = (bad_path_answers(servers[name], bad) for name in ("mlflow", "trackstore"))
    assert ours == [[400, "INVALID_PARAMETER_VALUE"]] * 3
    assert theirs[0] == [200, {}]


def test_the_proxy_lists_as_mlflow_does(servers: dict[str, LiveServer]) -> None:
    proxy = "/api/2.0/mlflow-artifacts/artifacts"
    answers = []
    for name in ("mlflow", "trackstore"):
        server = servers[name]
        answers.append(
            [
                raw_answer(server, "PUT", f"{proxy}/raw/a.txt", b"abc"),
                raw_answer(server, "PUT", f"{proxy}/raw/d/b.bin", b"\x00" * 10),
                raw_answer(server, "GET", f"{proxy}?path=raw", None),
                raw_answer(server, "GET", f"{proxy}?path=raw/d", None),
                raw_answer(server, "GET", f"{proxy}?path=raw/a.txt", None),
                raw_answer(server, "GET", f"{proxy}?path=raw/none", None),
                raw_answer(server, "DELETE", f"{proxy}/raw/d", None),
                raw_answer(server, "GET", f"{proxy}?path=raw", None),
            ]
        )
    assert_same_answers(*answers)
