"""The HTTP layer of `trackstore server`: service routes, error JSON, and the guard at startup."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from store import models
from store.server.app import MLFLOW_API_VERSION, Settings, all_endpoints, create_app
from store.server.launch import prepare_database
from store.server.messages import Message
from store.server.routing import Endpoint
from store.server.stores import Stores
from tests.live_server import (
    OLD_REVISION,
    at_old_revision,
    free_port,
    port_is_bound,
    recorded_revision,
    start,
    trackstore_command,
)

pytestmark = pytest.mark.backends("sqlite", "postgresql")
API = "/api/2.0/mlflow"
SECRET = "hunter2-secret"


def explode(stores: Stores, message: Message) -> None:
    raise OperationalError(f"SELECT * FROM runs WHERE password='{SECRET}'", {}, Exception())


@pytest.fixture(scope="module")
def client(backend: str) -> Iterator[TestClient]:
    settings = Settings(backend)
    prepare_database(settings, upgrade=True, progress=print)
    app = create_app(settings, [*all_endpoints(), Endpoint("GET", "/test/explode", explode)])
    with TestClient(app) as test_client:
        yield test_client


def test_health_answers_ok(client: TestClient) -> None:
    answer = client.get("/health")
    assert (answer.status_code, answer.text) == (200, "OK")


def test_version_is_the_mlflow_release_whose_api_is_served(client: TestClient) -> None:
    """MLflow's client sends spans over OTLP only to a server that says 3.4 or later."""
    assert client.get("/version").text == MLFLOW_API_VERSION


def test_unknown_path_is_endpoint_not_found(client: TestClient) -> None:
    answer = client.get(f"{API}/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_missing_parameter_is_invalid_parameter_value(client: TestClient) -> None:
    answer = client.get(f"{API}/experiments/get")
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "experiment_id" in body["message"]


def test_missing_resource_is_404(client: TestClient) -> None:
    answer = client.get(f"{API}/experiments/get", params={"experiment_id": "987654"})
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_body_that_is_not_json_is_refused(client: TestClient) -> None:
    answer = client.post(f"{API}/experiments/create", content=b"{not json")
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_unexpected_error_is_internal_error_without_sql_or_password(client: TestClient) -> None:
    answer = client.get(f"{API}/test/explode")
    assert answer.status_code == 500
    body = answer.json()
    assert body["error_code"] == "INTERNAL_ERROR"
    assert SECRET not in answer.text and "SELECT" not in answer.text


def test_ajax_prefix_serves_the_same_api(client: TestClient) -> None:
    answer = client.get("/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert answer.status_code == 200
    assert answer.json()["experiment"]["name"] == "Default"


def run_server(uri: str, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        trackstore_command(uri, port, 1, extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def refusal_before_binding(uri: str) -> tuple[int, str]:
    """Run `trackstore server` on `uri`, expecting it to exit without ever binding its port."""
    port = free_port()
    process = run_server(uri, port)
    bound = False
    while process.poll() is None:
        bound = bound or port_is_bound(port)
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=60)
    assert not bound and not port_is_bound(port)
    return process.returncode, stderr


def test_guard_refuses_an_old_revision_before_binding(fresh_backend: str) -> None:
    at_old_revision(fresh_backend)
    code, stderr = refusal_before_binding(fresh_backend)
    assert code != 0
    assert f"is at revision {OLD_REVISION}" in stderr
    assert "trackstore db upgrade" in stderr
    assert recorded_revision(fresh_backend) == OLD_REVISION


@pytest.mark.backends("postgresql")
def test_guard_refuses_an_empty_server_database_before_binding(fresh_backend: str) -> None:
    code, stderr = refusal_before_binding(fresh_backend)
    assert code != 0
    assert "is empty" in stderr
    assert recorded_revision(fresh_backend) is None


def test_upgrade_flag_upgrades_then_serves(fresh_backend: str, tmp_path: Path) -> None:
    at_old_revision(fresh_backend)
    port = free_port()
    command = trackstore_command(fresh_backend, port, 1, ["--upgrade"])
    server = start(command, port, tmp_path / "server.log")
    try:
        assert recorded_revision(fresh_backend) == models.REVISION
        with urllib.request.urlopen(
            f"{server.url}{API}/experiments/get-by-name?experiment_name=Default"
        ) as answer:
            assert json.load(answer)["experiment"]["experiment_id"] == "0"
    finally:
        server.stop()


def worker_pids(log: str) -> set[int]:
    return {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", log)}


def test_forked_workers_serve_and_stop_with_the_parent(tmp_path: Path) -> None:
    port = free_port()
    command = trackstore_command(f"sqlite:///{tmp_path / 'w.db'}", port, 2)
    server = start(command, port, tmp_path / "server.log")
    try:
        wait_for(lambda: len(worker_pids(server.output())) == 2)
    finally:
        server.process.terminate()
        assert server.process.wait(timeout=30) == 0
    for pid in worker_pids(server.output()):
        assert not Path(f"/proc/{pid}").exists()


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    command = trackstore_command(f"sqlite:///{tmp_path / 'w.db'}", port, 2)
    server = start(command, port, tmp_path / "server.log")
    try:
        wait_for(lambda: len(worker_pids(server.output())) == 2)
        victim = min(worker_pids(server.output()))
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(worker_pids(server.output())) == 3)
        with urllib.request.urlopen(f"{server.url}/health") as answer:
            assert answer.status == 200
    finally:
        server.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
