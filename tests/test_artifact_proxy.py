"""The artifact proxy of a live `trackstore server`: MLflow's endpoints and JSON, paths that try
to leave the destination, concurrent and large uploads, its options, and an S3 destination on
moto's standalone server."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import HOST, LiveServer, free_port, start, trackstore_command
from tests.moto_s3 import MotoS3, moto_s3

pytestmark = pytest.mark.backends("sqlite", "postgresql")
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MIB = 1024 * 1024
# Bytes uploaded while the worker's peak RSS is watched; TRACKSTORE_RSS_UPLOAD_MIB=1024 by hand.
RSS_UPLOAD_MIB = int(os.environ.get("TRACKSTORE_RSS_UPLOAD_MIB", "256"))
RSS_LIMIT_MIB = 200
# Raw request paths below PROXY + "/", each of which must be refused.
BAD_URL_PATHS = [
    "../outside.txt",
    "0/../../outside.txt",
    "%2e%2e/outside.txt",
    "%2E%2E%2Foutside.txt",
    "%252e%252e/outside.txt",
    "/outside.txt",
    "..%5coutside.txt",
    "a%5c..%5c..%5coutside.txt",
    "a%00b.txt",
    "link/outside.txt",
]


def call(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    json_body: Any = None,
) -> tuple[int, bytes, dict[str, str]]:
    """One request with `path` sent exactly as given (no normalising)."""
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=120)
    try:
        headers = {}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        chunked = body is not None and not isinstance(body, bytes)
        connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
        answer = connection.getresponse()
        return answer.status, answer.read(), {k.lower(): v for k, v in answer.getheaders()}
    finally:
        connection.close()


def start_server(
    root: Path, backend: str, extra: list[str], env: dict[str, str] | None = None
) -> LiveServer:
    port = free_port()
    command = trackstore_command(backend, port, 1, ["--upgrade", *extra])
    return start(command, port, root / f"server-{port}.log", env=env, timeout=120)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proxy")
    (root / "destination").mkdir()
    (root / "outside").mkdir()
    (root / "destination" / "link").symlink_to(root / "outside")
    return root


@pytest.fixture(scope="module")
def server(place: Path, backend: str) -> Iterator[LiveServer]:
    live = start_server(place, backend, ["--artifacts-destination", str(place / "destination")])
    yield live
    live.stop()


def tree(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (str(p.relative_to(root)), p.lstat().st_size if p.is_file() else -1)
        for p in root.rglob("*")
    )


def test_upload_list_download_delete(server: LiveServer, place: Path) -> None:
    assert call(server, "PUT", f"{PROXY}/t1/f.txt", b"hello")[:2] == (200, b"{}")
    assert call(server, "PUT", f"{PROXY}/t1/d/g.bin", b"\x00\x01")[0] == 200
    status, body, _ = call(server, "GET", f"{PROXY}?path=t1")
    assert json.loads(body) == {
        "files": [
            {"path": "d", "is_dir": True},
            {"path": "f.txt", "is_dir": False, "file_size": 5},
        ]
    }
    status, body, headers = call(server, "GET", f"{PROXY}/t1/f.txt")
    assert (status, body) == (200, b"hello")
    assert headers["content-disposition"] == "attachment; filename=f.txt"
    assert headers["content-type"].startswith("text/plain")
    assert (place / "destination" / "t1" / "d" / "g.bin").read_bytes() == b"\x00\x01"
    assert call(server, "DELETE", f"{PROXY}/t1/d")[:2] == (200, b"{}")
    assert json.loads(call(server, "GET", f"{PROXY}?path=t1")[1])["files"] == [
        {"path": "f.txt", "is_dir": False, "file_size": 5}
    ]
    assert call(server, "GET", f"{PROXY}?path=t1/nothing")[:2] == (200, b"{}")
    status, body, _ = call(server, "GET", f"{PROXY}/t1/missing.txt")
    assert (status, json.loads(body)["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_the_ajax_api_serves_the_same_files(server: LiveServer) -> None:
    call(server, "PUT", f"{PROXY}/ajax/a.txt", b"same")
    ajax = "/ajax-api/2.0/mlflow-artifacts/artifacts"
    assert call(server, "GET", f"{ajax}/ajax/a.txt")[:2] == (200, b"same")


@pytest.mark.parametrize("bad", BAD_URL_PATHS)
def test_a_path_leaving_the_destination_is_refused_and_nothing_written(
    server: LiveServer, place: Path, bad: str
) -> None:
    before = tree(place)
    for method, path in [
        ("PUT", f"{PROXY}/{bad}"),
        ("GET", f"{PROXY}/{bad}"),
        ("DELETE", f"{PROXY}/{bad}"),
        ("GET", f"{PROXY}?path={bad}"),
        # Only the destination can see where a symlink leads; /get-artifact looks the run up first.
        *([] if bad.startswith("link/") else [("GET", f"/get-artifact?run_id=x&path={bad}")]),
    ]:
        status, body, _ = call(server, method, path, b"evil" if method == "PUT" else None)
        assert status == 400, (method, path, body)
        assert json.loads(body)["error_code"] == "INVALID_PARAMETER_VALUE"
    if not bad.startswith("link/"):
        multipart = f"/api/2.0/mlflow-artifacts/mpu/create/{bad}"
        status, _, _ = call(server, "POST", multipart, json_body={"path": "f", "num_parts": 1})
        assert status == 400
    assert tree(place) == before


def test_concurrent_uploads_of_one_path_leave_one_whole_file(
    server: LiveServer, place: Path
) -> None:
    size = 4 * MIB

    def slow_body(fill: int) -> Iterator[bytes]:
        for _ in range(size // (256 * 1024)):
            yield bytes([fill]) * (256 * 1024)
            time.sleep(0.002)

    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda fill=fill: statuses.append(
                call(server, "PUT", f"{PROXY}/race/f.bin", slow_body(fill))[0]
            )
        )
        for fill in (1, 2, 3, 4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    data = (place / "destination" / "race" / "f.bin").read_bytes()
    assert len(data) == size
    assert len(set(data)) == 1
    assert [p.name for p in (place / "destination" / "race").iterdir()] == ["f.bin"]


def test_an_upload_cut_off_part_way_leaves_no_file(server: LiveServer, place: Path) -> None:
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    connection.putrequest("PUT", f"{PROXY}/cut/f.bin")
    connection.putheader("Content-Length", str(8 * MIB))
    connection.endheaders()
    connection.send(b"x" * MIB)
    time.sleep(0.3)
    connection.close()
    folder = place / "destination" / "cut"
    deadline = time.monotonic() + 10
    while folder.exists() and any(folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists() or list(folder.iterdir()) == []


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_large_files_stream_both_ways_in_bounded_memory(server: LiveServer, place: Path) -> None:
    chunk = bytes(range(256)) * 4096

    def body() -> Iterator[bytes]:
        for _ in range(RSS_UPLOAD_MIB):
            yield chunk

    status, _, _ = call(server, "PUT", f"{PROXY}/big/file.bin", body())
    assert status == 200
    after_upload = peak_rss_mib(server.process.pid)
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=120)
    connection.request("GET", f"{PROXY}/big/file.bin")
    answer = connection.getresponse()
    received = 0
    while piece := answer.read(MIB):
        received += len(piece)
    connection.close()
    after_download = peak_rss_mib(server.process.pid)
    print(f"peak RSS after {RSS_UPLOAD_MIB} MiB up: {after_upload:.0f} MiB, down: "
          f"{after_download:.0f} MiB")  # fmt: skip
    assert received == RSS_UPLOAD_MIB * MIB
    assert (place / "destination" / "big" / "file.bin").stat().st_size == RSS_UPLOAD_MIB * MIB
    assert after_download < RSS_LIMIT_MIB
    call(server, "DELETE", f"{PROXY}/big")


def create(server: LiveServer, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, body, _ = call(server, "POST", "/api/2.0/mlflow/" + path, json_body=payload)
    assert status == 200, body
    answer: dict[str, Any] = json.loads(body)
    return answer


def test_get_artifact_reads_a_runs_and_a_model_versions_files(server: LiveServer) -> None:
    experiment = create(server, "experiments/create", {"name": "get-artifact"})["experiment_id"]
    run = create(server, "runs/create", {"experiment_id": experiment})["run"]["info"]
    root = run["artifact_uri"]
    assert root == f"mlflow-artifacts:/{experiment}/{run['run_id']}/artifacts"
    stored = root.removeprefix("mlflow-artifacts:/")
    call(server, "PUT", f"{PROXY}/{stored}/model/MLmodel", b"flavors: {}\n")
    status, body, _ = call(
        server, "GET", f"/get-artifact?run_id={run['run_id']}&path=model/MLmodel"
    )
    assert (status, body) == (200, b"flavors: {}\n")
    create(server, "registered-models/create", {"name": "proxied"})
    create(server, "model-versions/create", {
        "name": "proxied", "source": f"{root}/model", "run_id": run["run_id"]
    })  # fmt: skip
    answer = call(server, "GET", "/model-versions/get-artifact?name=proxied&version=1&path=MLmodel")
    assert answer[:2] == (200, b"flavors: {}\n")


def test_get_artifact_refuses_a_local_location_outside_the_servers_folders(
    server: LiveServer, place: Path
) -> None:
    (place / "outside" / "secret").mkdir(parents=True, exist_ok=True)
    (place / "outside" / "secret" / "artifacts").mkdir(exist_ok=True)
    experiment = create(server, "experiments/create", {
        "name": "elsewhere", "artifact_location": (place / "outside").as_uri()
    })["experiment_id"]  # fmt: skip
    run = create(server, "runs/create", {"experiment_id": experiment})["run"]["info"]
    folder = place / "outside" / run["run_id"] / "artifacts"
    folder.mkdir(parents=True)
    (folder / "passwd").write_text("root:x:0:0")
    status, body, _ = call(server, "GET", f"/get-artifact?run_id={run['run_id']}&path=passwd")
    assert status == 400
    assert b"outside this server's artifact root" in body


def run_command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "store.cli", "server", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_no_serve_artifacts_needs_a_default_artifact_root(backend: str) -> None:
    done = run_command("--backend-store-uri", backend, "--no-serve-artifacts")
    assert done.returncode == 2
    assert "Option 'default-artifact-root' is required" in done.stderr


@pytest.mark.parametrize(
    "uri", ["gs://bucket/path", "wasbs://c@acct.blob.core.windows.net/p", "abfss://c@a/p"]
)
def test_cloud_destinations_not_served_are_refused_at_start(backend: str, uri: str) -> None:
    done = run_command("--backend-store-uri", backend, "--artifacts-destination", uri)
    assert done.returncode == 1
    assert "which trackstore does not serve" in done.stderr
    assert done.stderr.count("\n") == 1


def test_no_serve_artifacts_answers_503(place: Path, backend: str) -> None:
    root = (place / "no-serve").as_uri()
    live = start_server(place, backend, ["--no-serve-artifacts", "--default-artifact-root", root])
    try:
        status, body, _ = call(live, "PUT", f"{PROXY}/x.txt", b"x")
        assert status == 503
        assert b"--no-serve-artifacts" in body
        experiment = create(live, "experiments/create", {"name": "local-root"})["experiment_id"]
        status, body, _ = call(
            live, "GET", f"/api/2.0/mlflow/experiments/get?experiment_id={experiment}"
        )
        assert json.loads(body)["experiment"]["artifact_location"] == f"{root}/{experiment}"
        run = create(live, "runs/create", {"experiment_id": experiment})["run"]["info"]
        folder = place / "no-serve" / experiment / run["run_id"] / "artifacts"
        folder.mkdir(parents=True)
        (folder / "f.txt").write_text("local")
        status, body, _ = call(live, "GET", f"/get-artifact?run_id={run['run_id']}&path=f.txt")
        assert (status, body) == (200, b"local")
    finally:
        live.stop()


def test_artifacts_only_serves_files_without_a_database(place: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "store.cli", "server", "--artifacts-only", "--host", HOST,
        "--port", str(port), "--workers", "1", "--artifacts-destination",
        str(place / "only"),
    ]  # fmt: skip
    env = {"MLFLOW_TRACKING_URI": ""}
    live = start(command, port, place / "only.log", env=env)
    try:
        assert call(live, "PUT", f"{PROXY}/a.txt", b"only")[0] == 200
        assert (place / "only" / "a.txt").read_bytes() == b"only"
        status, body, _ = call(
            live, "POST", "/api/2.0/mlflow/experiments/create", json_body={"name": "x"}
        )
        assert status == 503
        assert b"`--artifacts-only` mode" in body
    finally:
        live.stop()
    done = run_command("--artifacts-only", "--backend-store-uri", "sqlite:///x.db")
    assert done.returncode == 2
    assert "serves no database" in done.stderr


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    with moto_s3(tmp_path_factory.mktemp("moto") / "moto.log") as s3:
        yield s3


@pytest.fixture(scope="module")
def s3_server(place: Path, backend: str, moto: MotoS3) -> Iterator[tuple[LiveServer, str]]:
    bucket = moto.new_bucket()
    live = start_server(
        place, backend, ["--artifacts-destination", f"s3://{bucket}/proxied"], env=moto.environment
    )
    yield live, bucket
    live.stop()


def test_s3_destination_round_trip(s3_server: tuple[LiveServer, str], moto: MotoS3) -> None:
    server, bucket = s3_server
    big = os.urandom(3 * MIB) * 6
    assert call(server, "PUT", f"{PROXY}/0/r/artifacts/f.txt", b"hello")[0] == 200
    assert call(server, "PUT", f"{PROXY}/0/r/artifacts/d/big.bin", iter([big]))[0] == 200
    listing = json.loads(call(server, "GET", f"{PROXY}?path=0/r/artifacts")[1])
    assert listing == {
        "files": [
            {"path": "d", "is_dir": True},
            {"path": "f.txt", "is_dir": False, "file_size": 5},
        ]
    }
    assert call(server, "GET", f"{PROXY}/0/r/artifacts/d/big.bin")[1] == big
    stored = moto.client().get_object(Bucket=bucket, Key="proxied/0/r/artifacts/f.txt")
    assert stored["Body"].read() == b"hello"
    assert call(server, "DELETE", f"{PROXY}/0/r/artifacts/d")[0] == 200
    assert call(server, "GET", f"{PROXY}/0/r/artifacts/d/big.bin")[0] == 404
    before = moto.client().list_objects_v2(Bucket=bucket).get("KeyCount")
    assert call(server, "PUT", f"{PROXY}/%2e%2e/escape.txt", b"x")[0] == 400
    mpu = "/api/2.0/mlflow-artifacts/mpu/create/a/%2e%2e/%2e%2e"
    assert call(server, "POST", mpu, json_body={"path": "f", "num_parts": 1})[0] == 400
    assert moto.client().list_objects_v2(Bucket=bucket).get("KeyCount") == before


def test_s3_multipart_upload_through_presigned_urls(
    s3_server: tuple[LiveServer, str], moto: MotoS3
) -> None:
    import urllib.request

    server, bucket = s3_server
    parts = [os.urandom(5 * MIB), os.urandom(MIB)]
    mpu = "/api/2.0/mlflow-artifacts/mpu"
    status, body, _ = call(
        server, "POST", f"{mpu}/create/1/r/artifacts",
        json_body={"path": "/home/me/local/model.bin", "num_parts": 2},
    )  # fmt: skip
    assert status == 200, body
    created = json.loads(body)
    assert [c["part_number"] for c in created["credentials"]] == [1, 2]
    done = []
    for credential, data in zip(created["credentials"], parts, strict=True):
        put = urllib.request.Request(
            credential["url"], data=data, method="PUT", headers={"Content-Type": "binary/x"}
        )
        with urllib.request.urlopen(put, timeout=60) as answer:
            done.append({"part_number": credential["part_number"], "etag": answer.headers["ETag"]})
    status, body, _ = call(
        server, "POST", f"{mpu}/complete/1/r/artifacts",
        json_body={"path": "/home/me/local/model.bin", "upload_id": created["upload_id"],
                   "parts": done},
    )  # fmt: skip
    assert (status, body) == (200, b"{}")
    assert call(server, "GET", f"{PROXY}/1/r/artifacts/model.bin")[1] == b"".join(parts)
    status, body, _ = call(
        server, "POST", f"{mpu}/create/1/r/artifacts",
        json_body={"path": "other.bin", "num_parts": 1},
    )  # fmt: skip
    aborted = json.loads(body)["upload_id"]
    status, _, _ = call(
        server, "POST", f"{mpu}/abort/1/r/artifacts",
        json_body={"path": "other.bin", "upload_id": aborted},
    )  # fmt: skip
    assert status == 200
    assert moto.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_local_destination_refuses_multipart_as_mlflow_does(server: LiveServer) -> None:
    status, body, _ = call(
        server, "POST", "/api/2.0/mlflow-artifacts/mpu/create/0",
        json_body={"path": "f.bin", "num_parts": 2},
    )  # fmt: skip
    assert status == 501
    assert json.loads(body) == {
        "error_code": "NOT_IMPLEMENTED",
        "message": "Multipart upload is not supported for the current artifact repository",
    }
