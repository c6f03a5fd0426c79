"""Bare NaN, Infinity and -Infinity in request bodies: `mlflow server` 3.1.4 and `trackstore
server` side by side (issue 19.6).

Both answer 200 where a double field holds such a literal, and 400 INVALID_PARAMETER_VALUE where
a string or most integer fields do. Deliberate differences, each asserted below:

- log-metric with `"value": NaN` (or an infinity). MLflow: 200, but protobuf refuses the bare
  literal and MLflow ignores the refusal, storing the half-read message: value 0.0, and the
  fields after it (timestamp, step) 0. trackstore: 200, storing what the quoted "NaN" stores.
  Why: the client's metric is kept, not a zero in its place.
- log-batch holding such a value. MLflow: 200, but metrics from the first bare literal on and
  every param and tag are dropped. trackstore: 200, the whole batch stored. Why: a batch is all
  or nothing.
- log-metric with `"step": Infinity`. MLflow: 500 (an HTML page). trackstore: 400
  INVALID_PARAMETER_VALUE. Why: a bad value is the client's error.

The real MLflow client never sends bare literals (protobuf's JSON quotes them); requests' `json=`
and json.dumps do.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.client_scenarios import both_servers
from tests.live_server import LiveServer, json_caller

pytestmark = pytest.mark.mlflow_314
API = "/api/2.0/mlflow"
LARGEST = 1.7976931348623157e308
QUOTED_READ_BACK = {"NaN": "NaN", "Infinity": LARGEST, "-Infinity": -LARGEST}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    yield from both_servers(tmp_path_factory.mktemp("nan-servers"))


def call(server: LiveServer, method: str, path: str, body: str | None = None) -> tuple[int, Any]:
    """(status, decoded JSON or the raw text) of one request to `server`."""
    return json_caller(server)(method, API + path, None if body is None else body.encode())


def new_run(server: LiveServer) -> str:
    status, answer = call(server, "POST", "/runs/create", '{"experiment_id": "0"}')
    assert status == 200, answer
    return str(answer["run"]["info"]["run_id"])


def read_run(server: LiveServer, run_id: str) -> dict[str, Any]:
    status, answer = call(server, "GET", f"/runs/get?run_id={run_id}")
    assert status == 200, answer
    data: dict[str, Any] = answer["run"]["data"]
    return data


def metrics_of(server: LiveServer, run_id: str) -> dict[str, tuple[Any, int, int]]:
    return {
        m["key"]: (m["value"], m.get("timestamp", 0), m.get("step", 0))
        for m in read_run(server, run_id).get("metrics", [])
    }


@pytest.mark.parametrize("literal", sorted(QUOTED_READ_BACK))
def test_log_metric_with_a_bare_literal(servers: dict[str, LiveServer], literal: str) -> None:
    stored = {}
    for name, server in servers.items():
        run_id = new_run(server)
        for key, value in (("bare", literal), ("quoted", json.dumps(literal))):
            body = f'{{"run_id": "{run_id}", "key": "{key}", "value": {value}, "timestamp": 5, '
            body += '"step": 2}'
            status, answer = call(server, "POST", "/runs/log-metric", body)
            assert status == 200, (name, answer)
        stored[name] = metrics_of(server, run_id)

    quoted = (QUOTED_READ_BACK[literal], 5, 2)
    assert stored["mlflow"]["quoted"] == stored["trackstore"]["quoted"] == quoted
    assert stored["trackstore"]["bare"] == quoted
    assert stored["mlflow"]["bare"] == (0.0, 0, 0), "MLflow 3.1.4 stores the half-read message"


def test_log_batch_from_json_dumps(servers: dict[str, LiveServer]) -> None:
    stored = {}
    for name, server in servers.items():
        run_id = new_run(server)
        body = json.dumps(
            {
                "run_id": run_id,
                "metrics": [
                    {"key": "first", "value": 1.5, "timestamp": 7, "step": 1},
                    {"key": "nan", "value": float("nan"), "timestamp": 7, "step": 1},
                    {"key": "inf", "value": float("inf"), "timestamp": 7, "step": 1},
                ],
                "params": [{"key": "p", "value": "v"}],
            }
        )
        status, answer = call(server, "POST", "/runs/log-batch", body)
        assert status == 200, (name, answer)
        stored[name] = (metrics_of(server, run_id), read_run(server, run_id).get("params", []))

    assert stored["trackstore"] == (
        {"first": (1.5, 7, 1), "nan": ("NaN", 7, 1), "inf": (LARGEST, 7, 1)},
        [{"key": "p", "value": "v"}],
    )
    theirs, their_params = stored["mlflow"]
    assert theirs["first"] == (1.5, 7, 1)
    assert "inf" not in theirs and their_params == [], "MLflow 3.1.4 drops the rest of the batch"


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/runs/log-metric", '{{"run_id": "{run}", "key": NaN, "value": 1, "timestamp": 1}}'),
        ("/runs/log-metric", '{{"run_id": "{run}", "key": "t", "value": 1, "timestamp": NaN}}'),
        ("/runs/log-parameter", '{{"run_id": "{run}", "key": "p", "value": NaN}}'),
        ("/experiments/create", '{{"name": -Infinity}}'),
    ],
)
def test_a_bare_literal_in_a_string_or_timestamp_is_refused_alike(
    servers: dict[str, LiveServer], path: str, template: str
) -> None:
    answers = {}
    for name, server in servers.items():
        status, answer = call(server, "POST", path, template.format(run=new_run(server)))
        answers[name] = (status, answer["error_code"])
    assert answers["trackstore"] == answers["mlflow"] == (400, "INVALID_PARAMETER_VALUE")


def test_an_infinite_step_is_400_where_mlflow_fails_with_500(
    servers: dict[str, LiveServer],
) -> None:
    body = '{{"run_id": "{run}", "key": "s", "value": 1, "timestamp": 1, "step": Infinity}}'
    answers = {
        name: call(server, "POST", "/runs/log-metric", body.format(run=new_run(server)))
        for name, server in servers.items()
    }
    assert answers["mlflow"][0] == 500
    assert answers["trackstore"][0] == 400
    assert answers["trackstore"][1]["error_code"] == "INVALID_PARAMETER_VALUE"
