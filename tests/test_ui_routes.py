"""The routes MLflow's UI calls, without MLflow: the sampling of metric histories against a
reference written from its description, and each route's checks of bad input (the refused
request changes nothing). tests/mlflow_compat/test_ui_routes.py compares them with MLflow.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse
from starlette.testclient import TestClient

from store.server.app import Settings
from store.server.graphql_limits import query_problem
from tests.app_client import app_client

pytestmark = pytest.mark.backends("sqlite", "postgresql", "mysql")
API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def client(backend: str, artifacts: Path) -> Iterator[TestClient]:
    with app_client(Settings(backend, artifact_root=artifacts.as_uri())) as test_client:
        yield test_client


@pytest.fixture
def run_id(client: TestClient) -> str:
    answer = client.post(f"{API}/runs/create", json={"experiment_id": "0"})
    return str(answer.json()["run"]["info"]["run_id"])


def reference_sample(rows: list[tuple[int, ...]], max_results: int) -> list[tuple[int, ...]]:
    """NTILE's buckets (the first `len % n` one row larger), the first row of each, and the last
    row in place of the final sample (or after it, while fewer than n are kept)."""
    count = len(rows)
    buckets = min(max_results, count)
    sizes = [count // buckets + (i < count % buckets) for i in range(buckets)] if count else []
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    kept = [rows[start] for start in starts]
    if rows and kept[-1] != rows[-1]:
        if len(kept) >= max_results:
            kept[-1] = rows[-1]
        else:
            kept.append(rows[-1])
    return kept


def logged(client: TestClient, run_id: str, rows: list[tuple[int, ...]]) -> None:
    metrics = [{"key": "m", "value": v, "timestamp": t, "step": s} for s, t, v in rows]
    for start in range(0, len(metrics), 1000):
        batch = {"run_id": run_id, "metrics": metrics[start : start + 1000]}
        assert client.post(f"{API}/runs/log-batch", json=batch).status_code == 200


def sampled(client: TestClient, run_ids: list[str], **asked: Any) -> list[tuple[Any, ...]]:
    answer = client.get(
        f"{AJAX}/metrics/get-history-bulk-interval",
        params={"run_ids": run_ids, "metric_key": "m", **asked},
    )
    assert answer.status_code == 200, answer.text
    return [
        (m["run_id"], m["step"], m["timestamp"], m["value"])
        for m in answer.json().get("metrics", [])
    ]


@pytest.mark.parametrize("count", [1, 2, 9, 10, 11, 250])
@pytest.mark.parametrize("max_results", [1, 2, 3, 10])
def test_sampling_keeps_bucket_firsts_and_the_last_row(
    client: TestClient, run_id: str, count: int, max_results: int
) -> None:
    """Rows share steps (three a step), so the sample is by row, not by distinct step."""
    rows = [(i // 3, 1000 + i, i) for i in range(count)]
    logged(client, run_id, rows)
    expected = [(run_id, *row) for row in reference_sample(rows, max_results)]
    assert sampled(client, [run_id], max_results=max_results) == expected


def test_step_range_limits_the_rows_sampled(client: TestClient, run_id: str) -> None:
    rows = [(s, 100 + s, s * 2) for s in range(30)]
    logged(client, run_id, rows)
    inside = [row for row in rows if 5 <= row[0] <= 20]
    expected = [(run_id, *row) for row in reference_sample(inside, 4)]
    assert sampled(client, [run_id], start_step=5, end_step=20, max_results=4) == expected


def test_runs_answer_in_the_order_asked(client: TestClient) -> None:
    first, second = (
        client.post(f"{API}/runs/create", json={"experiment_id": "0"}).json()["run"]["info"][
            "run_id"
        ]
        for _ in range(2)
    )
    logged(client, first, [(0, 1, 1)])
    logged(client, second, [(0, 1, 2)])
    asked = [second, "no-such-run", first, second]
    assert [row[0] for row in sampled(client, asked)] == [second, first, second]


def test_nan_comes_back_as_nan(client: TestClient, run_id: str) -> None:
    batch = {"run_id": run_id, "metrics": [{"key": "m", "value": "NaN", "timestamp": 1}]}
    client.post(f"{API}/runs/log-batch", json=batch)
    [(_, _, _, value)] = sampled(client, [run_id])
    assert value == "NaN"


INTERVAL_REFUSALS = [
    ({}, "Missing value for required parameter 'run_ids'"),
    ({"run_ids": "a"}, "Missing value for required parameter 'metric_key'"),
    (
        {"run_ids": [f"r{i}" for i in range(101)], "metric_key": "m"},
        "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101",
    ),
    ({"run_ids": "a", "metric_key": "m", "max_results": 0}, "max_results must be between 1 and"),
    ({"run_ids": "a", "metric_key": "m", "max_results": 2501}, "max_results must be between 1"),
    ({"run_ids": "a", "metric_key": "m", "max_results": "x"}, "Invalid value"),
    ({"run_ids": "a", "metric_key": "m", "start_step": 1}, "If either start step or end step"),
    ({"run_ids": "a", "metric_key": "m", "end_step": 1}, "If either start step or end step"),
    (
        {"run_ids": "a", "metric_key": "m", "start_step": 3, "end_step": 1},
        "end_step must be greater than start_step. Found start_step=3 and end_step=1.",
    ),
]


@pytest.mark.parametrize(("params", "message"), INTERVAL_REFUSALS)
def test_bad_interval_request_is_refused(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    answer = client.get(f"{AJAX}/metrics/get-history-bulk-interval", params=params)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert answer.json()["message"].startswith(message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": [1]}, "SearchDatasets request must specify at least one"),
        ({"experiment_ids": ["x"]}, "Invalid experiment ID 'x'. Experiment ID must be"),
        (
            {"experiment_ids": [str(n) for n in range(21)]},
            "SearchDatasets request cannot specify more than 20 experiment_ids. Received 21",
        ),
    ],
)
def test_bad_dataset_search_is_refused(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    answer = client.post(f"{AJAX}/experiments/search-datasets", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Bad Request. Content-Type header is missing."),
        ({"Content-Type": "text/plain"}, "Bad Request. Content-Type must be one of"),
    ],
)
@pytest.mark.parametrize("path", [f"{AJAX}/experiments/search-datasets", "/graphql"])
def test_body_not_labelled_json_is_refused(
    client: TestClient, path: str, headers: dict[str, str], message: str
) -> None:
    answer = client.post(path, content=b'{"experiment_ids": ["0"]}', headers=headers)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)


def test_dataset_summaries_are_distinct_per_context(client: TestClient) -> None:
    experiment_id = client.post(f"{API}/experiments/create", json={"name": "ds"}).json()[
        "experiment_id"
    ]
    dataset = {"name": "wine", "digest": "d", "source_type": "local", "source": "/w"}
    for context in ("train", "train", "eval", None):
        run = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()
        tags = [{"key": "mlflow.data.context", "value": context}] if context else []
        inputs = {
            "run_id": run["run"]["info"]["run_id"],
            "datasets": [{"dataset": dataset, "tags": tags}],
        }
        assert client.post(f"{API}/runs/log-inputs", json=inputs).status_code == 200
    answer = client.post(
        f"{AJAX}/experiments/search-datasets", json={"experiment_ids": [experiment_id]}
    )
    contexts = sorted(str(s.get("context")) for s in answer.json()["dataset_summaries"])
    assert contexts == ["None", "eval", "train"]


UPLOAD_REFUSALS = [
    ({"run_id": "", "path": "a.txt"}, b"x", "Request must specify run_id or run_uuid."),
    ({}, b"x", "Request must specify path."),
    ({"path": "a.txt"}, b"", "Request must specify data."),
    ({"path": "../a.txt"}, b"x", "Invalid path"),
    ({"path": "%252e%252e/a.txt"}, b"x", "Invalid path"),
    ({"path": "/abs.txt"}, b"x", "Invalid path"),
    ({"path": "file:///etc/passwd"}, b"x", "Invalid path"),
    ({"path": "big.bin"}, b"x" * (10 * 1024 * 1024 + 1), "Artifact size is too large."),
]


@pytest.mark.parametrize(("params", "data", "message"), UPLOAD_REFUSALS)
def test_bad_upload_is_refused_and_writes_nothing(
    client: TestClient,
    run_id: str,
    artifacts: Path,
    params: dict[str, str],
    data: bytes,
    message: str,
) -> None:
    asked = {"run_id": run_id, **params}
    answer = client.post(f"{AJAX}/upload-artifact", params=asked, content=data)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)
    assert not (artifacts / "0" / run_id / "artifacts").exists()


def test_upload_lands_in_the_run_artifacts(client: TestClient, run_id: str) -> None:
    answer = client.post(
        f"{AJAX}/upload-artifact", params={"run_uuid": run_id, "path": "a/b.txt"}, content=b"hi"
    )
    assert (answer.status_code, answer.content) == (200, b"")
    read = client.get("/get-artifact", params={"run_id": run_id, "path": "a/b.txt"})
    assert read.content == b"hi"
    listed = client.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "a"}).json()
    assert listed["files"] == [{"path": "a/b.txt", "is_dir": False, "file_size": 2}]


def test_model_file_needs_its_path(client: TestClient) -> None:
    model = client.post(f"{API}/logged-models", json={"experiment_id": "0"}).json()["model"]
    files = f"{AJAX}/logged-models/{model['info']['model_id']}/artifacts/files"
    answer = client.get(files)
    assert (answer.status_code, answer.json()["error_code"]) == (400, "BAD_REQUEST")
    assert client.get(files, params={"artifact_file_path": "../x"}).status_code == 400


def test_promptlab_run_needs_each_required_field(client: TestClient) -> None:
    answer = client.post(f"{AJAX}/runs/create-promptlab-run", json={"experiment_id": "0"})
    assert answer.status_code == 400
    assert answer.json()["message"] == "CreatePromptlabRun request must specify prompt_template."


def nested(depth: int) -> str:
    """Fields `depth` levels deep below the root."""
    return "a { " * depth + "x" + " }" * depth


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("{ a { b } }", None),
        ("{ " + nested(10) + " }", "Query exceeds maximum depth of 10"),
        ("{ " + nested(9) + " }", None),
        ("{ " + " ".join(f"f{n}" for n in range(1001)) + " }", "Query exceeds maximum total"),
        (
            "{ " + " ".join(f"f{n}" for n in range(11)) + " }",
            "GraphQL queries should have at most 10 root fields, got 11",
        ),
        (
            "{ a { " + " ".join(f"x{n}: f" for n in range(11)) + " } }",
            "GraphQL queries should have at most 10 aliases, got 11",
        ),
        (
            "query { a { ...F ...F } } fragment F on T { "
            + " ".join(f"y{n}: f" for n in range(6))
            + " }",
            None,
        ),
    ],
)
def test_graphql_query_limits(query: str, problem: str | None) -> None:
    found = query_problem(parse(query))
    assert found == problem if problem is None else (found or "").startswith(problem)


@pytest.mark.backends("sqlite")
def test_graphql_root_field_limit_follows_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    query = parse("{ " + " ".join(f"f{n}" for n in range(11)) + " }")
    monkeypatch.setenv("MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS", "20")
    assert query_problem(query) is None


def test_graphql_nan_metric_of_a_run_is_null(client: TestClient, run_id: str) -> None:
    batch = {"run_id": run_id, "metrics": [{"key": "m", "value": "NaN", "timestamp": 1}]}
    client.post(f"{API}/runs/log-batch", json=batch)
    query = """query R($i: MlflowGetRunInput) {
      mlflowGetRun(input: $i) { run { data { metrics { value } } info { endTime } } }
    }"""
    answer = client.post("/graphql", json={"query": query, "variables": {"i": {"runId": run_id}}})
    run = answer.json()["data"]["mlflowGetRun"]["run"]
    assert run["data"]["metrics"] == [{"value": None}]
    assert run["info"]["endTime"] == "0"


def test_promptlab_run_whose_files_cannot_be_written_is_failed(
    client: TestClient, tmp_path: Path
) -> None:
    """The run exists before its files are written; a refused write leaves it FAILED."""
    outside = (tmp_path / "outside").as_uri()
    created = client.post(
        f"{API}/experiments/create", json={"name": "lab", "artifact_location": outside}
    )
    body = {
        "experiment_id": created.json()["experiment_id"],
        "prompt_template": "{{ a }}",
        "prompt_parameters": [{"key": "a", "value": "b"}],
        "model_route": "chat",
        "model_input": "b",
        "mlflow_version": "3.18.0",
    }
    answer = client.post(f"{AJAX}/runs/create-promptlab-run", json=body)
    assert answer.status_code == 200
    assert answer.json()["run"]["info"]["status"] == "FAILED"
    assert not (tmp_path / "outside").exists()
