"""Bare NaN, Infinity and -Infinity in request bodies (issue 19.6).

Python's json.dumps, and so requests' `json=`, writes a float that is not finite as a bare
literal, which strict JSON (and orjson) refuses; MLflow's server reads it. trackstore reads it
too, and stores it exactly as protobuf's quoted "NaN", "Infinity" and "-Infinity": NaN as NaN,
the infinities as the largest doubles (SQL has no infinity). tests/mlflow_314/
test_nan_literals.py compares with MLflow 3.1.4, which answers 200 too but stores less.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from store.server.app import Settings
from tests.app_client import app_client

pytestmark = pytest.mark.backends("sqlite", "postgresql", "mysql")
API = "/api/2.0/mlflow"
LARGEST = 1.7976931348623157e308
# What the metric reads back as after each literal, the same as for its quoted form.
READ_BACK = {"NaN": "NaN", "Infinity": LARGEST, "-Infinity": -LARGEST, "1e400": LARGEST}


@pytest.fixture(scope="module")
def client(backend: str) -> Iterator[TestClient]:
    with app_client(Settings(backend)) as test_client:
        yield test_client


@pytest.fixture
def run_id(client: TestClient) -> str:
    answer = client.post(f"{API}/runs/create", json={"experiment_id": "0"})
    return str(answer.json()["run"]["info"]["run_id"])


def post_raw(client: TestClient, path: str, body: str) -> Any:
    return client.post(
        f"{API}/{path}", content=body.encode(), headers={"Content-Type": "application/json"}
    )


def history(client: TestClient, run_id: str, key: str) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": key})
    assert answer.status_code == 200, answer.text
    metrics: list[dict[str, Any]] = answer.json()["metrics"]
    return metrics


@pytest.mark.parametrize("literal", sorted(READ_BACK))
def test_log_metric_reads_a_bare_literal_as_its_quoted_form(
    client: TestClient, run_id: str, literal: str
) -> None:
    body = f'{{"run_id": "{run_id}", "key": "bare", "value": {literal}, "timestamp": 5, "step": 2}}'
    answer = post_raw(client, "runs/log-metric", body)
    assert answer.status_code == 200, answer.text
    expected = {"key": "bare", "value": READ_BACK[literal], "timestamp": 5, "step": 2}
    assert history(client, run_id, "bare") == [expected]
    if literal != "1e400":
        quoted = {"run_id": run_id, "key": "quoted", "value": literal, "timestamp": 5, "step": 2}
        assert client.post(f"{API}/runs/log-metric", json=quoted).status_code == 200
        assert history(client, run_id, "quoted") == [{**expected, "key": "quoted"}]


def test_log_batch_from_json_dumps_keeps_every_metric_and_param(
    client: TestClient, run_id: str
) -> None:
    metrics = [
        {"key": key, "value": value, "timestamp": 7, "step": 1}
        for key, value in (("n", float("nan")), ("p", float("inf")), ("m", float("-inf")))
    ]
    body = json.dumps(
        {"run_id": run_id, "metrics": metrics, "params": [{"key": "k", "value": "v"}]}
    )
    assert "NaN" in body and "-Infinity" in body
    answer = post_raw(client, "runs/log-batch", body)
    assert answer.status_code == 200, answer.text
    run = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    values = {metric["key"]: metric["value"] for metric in run["data"]["metrics"]}
    assert values == {"n": "NaN", "p": LARGEST, "m": -LARGEST}
    assert run["data"]["params"] == [{"key": "k", "value": "v"}]


def test_a_body_encoded_twice_may_carry_a_bare_literal(client: TestClient, run_id: str) -> None:
    inner = json.dumps({"run_id": run_id, "key": "twice", "value": float("nan"), "timestamp": 1})
    answer = post_raw(client, "runs/log-metric", json.dumps(inner))
    assert answer.status_code == 200, answer.text
    assert history(client, run_id, "twice")[0]["value"] == "NaN"


@pytest.mark.parametrize(
    ("path", "template", "field"),
    [
        ("runs/log-metric", '{{"run_id": "{run}", "key": NaN, "value": 1, "timestamp": 1}}', "key"),
        ("runs/log-metric", '{{"run_id": "{run}", "key": "t", "value": 1, "timestamp": NaN}}',
         "timestamp"),
        ("runs/log-metric",
         '{{"run_id": "{run}", "key": "s", "value": 1, "timestamp": 1, "step": Infinity}}', "step"),
        ("runs/log-parameter", '{{"run_id": "{run}", "key": "p", "value": NaN}}', "value"),
        ("experiments/create", '{{"name": -Infinity}}', "name"),
    ],
)  # fmt: skip
def test_a_bare_literal_where_no_number_belongs_is_refused(
    client: TestClient, run_id: str, path: str, template: str, field: str
) -> None:
    answer = post_raw(client, path, template.format(run=run_id))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert f"'{field}'" in answer.json()["message"]


@pytest.mark.parametrize(
    "body",
    ['{"name": "x\\ud800"}', '{"name": NaN', "[" * 5000 + "]" * 5000, "{'name': 'x'}", "nan"],
    ids=["lone surrogate", "unclosed", "deep", "single quotes", "bare nan"],
)
def test_what_the_lenient_reading_still_refuses(client: TestClient, body: str) -> None:
    answer = post_raw(client, "experiments/create", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
