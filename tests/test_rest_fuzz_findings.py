"""What the REST fuzz (tests/test_rest_fuzz.py and its MLflow comparison) found, one test each,
on every backend: each request here was answered 500, or otherwise than MLflow, before."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from store.common.errors import StoreError
from store.server.app import Settings
from store.server.messages import Message
from tests.app_client import app_client

API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def client(backend: str) -> Iterator[TestClient]:
    with app_client(Settings(backend), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_invalid(answer: object, naming: str) -> None:
    status, body = answer.status_code, answer.json()  # type: ignore[attr-defined]
    assert status == 400, body
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert naming in body["message"]


def test_nul_in_text_is_refused_where_the_database_cannot_hold_it(
    client: TestClient, backend: str
) -> None:
    answer = client.post(f"{API}/experiments/create", json={"name": "nul\x00name"})
    if backend.startswith("postgresql"):
        assert_invalid(answer, "NUL")
    else:
        assert answer.status_code == 200, answer.text
        experiment_id = answer.json()["experiment_id"]
        read = client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id})
        assert read.json()["experiment"]["name"] == "nul\x00name"


def test_nul_in_a_path_or_query_value_is_refused_on_postgresql(
    client: TestClient, backend: str
) -> None:
    answer = client.get(f"{API}/logged-models/m-%00")
    if backend.startswith("postgresql"):
        assert_invalid(answer, "NUL")
    else:
        assert answer.status_code == 404


def test_a_value_longer_than_its_column_is_400(client: TestClient, backend: str) -> None:
    """SQLite stores any length (as MLflow's SQLite store does); the servers refuse it."""
    answer = client.post(f"{API}/registered-models/create", json={"name": "m" * 300})
    if backend.startswith("sqlite"):
        assert answer.status_code == 200, answer.text
    else:
        assert_invalid(answer, "does not fit its database column")


def test_a_version_past_64_bits_is_400(client: TestClient) -> None:
    params = {"name": "m", "version": str(2**64)}
    answer = client.get(f"{API}/model-versions/get-download-uri", params=params)
    assert_invalid(answer, "'version'")


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_a_whole_number_field_holds_64_bits_at_most(number: int) -> None:
    """Query strings (and bodies read by the lenient road) can carry any size of integer."""
    with pytest.raises(StoreError, match="fits in 64 bits"):
        Message({"n": [str(number)]}, from_query=True).integer("n")
    assert Message({"n": [str(2**63 - 1)]}, from_query=True).integer("n") == 2**63 - 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/traces"), ("POST", "/logged-models/search")],
)
def test_a_search_without_experiment_ids_is_refused_as_mlflow_refuses_it(
    client: TestClient, method: str, path: str
) -> None:
    answer = client.request(method, API + path, json={} if method == "POST" else None)
    assert_invalid(answer, "'experiment_ids'")
