"""The routes MLflow 3.18.0's UI calls, against `trackstore server` and `mlflow server` side by
side on new databases of the chosen backend (SQLite, PostgreSQL).

The data is logged with the real MLflow client; the UI's routes have no client call, so they are
asked over raw HTTP, as the UI asks them. Answers must be equal once generated ids and clock
times are placeholders; refusals must have the same status and error code, and trackstore's
message must begin with MLflow's.
"""

import json
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.live_server import LiveServer, servers_on_backend

pytest.importorskip("mlflow", minversion="3.18")

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric

from tests.client_scenarios import UTC_TIME, assert_same_answers, normalise, plain

pytestmark = [pytest.mark.mlflow_compat, pytest.mark.backends("sqlite", "postgresql")]

INTERVAL = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
SEARCH_DATASETS = "/ajax-api/2.0/mlflow/experiments/search-datasets"
Scenario = Callable[[MlflowClient, str], Any]


@pytest.fixture(scope="module")
def servers(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LiveServer]]:
    yield from servers_on_backend(backend, tmp_path_factory.mktemp("ui-routes"))


@pytest.fixture(autouse=True)
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def on_both(servers: dict[str, LiveServer], scenario: Scenario) -> tuple[Any, Any]:
    """The normalised answers of `scenario` from mlflow server, then trackstore server."""
    theirs, ours = (
        normalise(scenario(MlflowClient(servers[name].url), servers[name].url))
        for name in ("mlflow", "trackstore")
    )
    return theirs, ours


def answer(response: requests.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


def assert_same_refusals(theirs: list[Any], ours: list[Any]) -> None:
    """Each refusal: the same status and error code, and MLflow's message first in ours."""
    for (label, (status, body)), (_, (our_status, our_body)) in zip(theirs, ours, strict=True):
        assert (our_status, our_body["error_code"]) == (status, body["error_code"]), label
        assert our_body["message"].startswith(body["message"]), (label, body, our_body)


def logged_histories(client: MlflowClient) -> list[str]:
    """Runs whose histories test the sampling: steps spread out, many values on one step, and
    values that are not finite."""
    experiment_id = client.create_experiment("sampled-history")
    spread, one_step, odd = (client.create_run(experiment_id).info.run_id for _ in range(3))
    client.log_batch(spread, metrics=[Metric("loss", s / 7, 1000 + s, s) for s in range(0, 90, 3)])
    client.log_batch(one_step, metrics=[Metric("loss", v, 2000 + v, 0) for v in range(25)])
    values = [math.nan, math.inf, -math.inf, 1.5, math.nan]
    client.log_batch(odd, metrics=[Metric("loss", v, 3000 + i, i) for i, v in enumerate(values)])
    return [spread, one_step, odd]


def sampled_histories(client: MlflowClient, url: str) -> Any:
    run_ids = logged_histories(client)
    asked: list[dict[str, Any]] = [
        {},
        {"max_results": 1},
        {"max_results": 2},
        {"max_results": 7},
        {"max_results": 2500},
        {"start_step": 6, "end_step": 40},
        {"start_step": 6, "end_step": 40, "max_results": 4},
        {"start_step": 0, "end_step": 0, "max_results": 3},
        {"start_step": 500, "end_step": 900},
        {"start_step": -5, "end_step": 2},
    ]
    base = {"run_ids": run_ids, "metric_key": "loss"}
    answers = [
        answer(requests.get(url + INTERVAL, params={**base, **q}, timeout=30)) for q in asked
    ]
    reordered = {**base, "run_ids": [run_ids[2], "no-such-run", run_ids[0], run_ids[0]]}
    answers.append(answer(requests.get(url + INTERVAL, params=reordered, timeout=30)))
    api = url + INTERVAL.replace("/ajax-api/", "/api/")
    answers.append(answer(requests.get(api, params={**base, "max_results": 3}, timeout=30)))
    answers.append(
        answer(requests.get(url + INTERVAL, params={**base, "metric_key": "x"}, timeout=30))
    )
    return answers


def test_sampled_history_answers_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_answers(*on_both(servers, sampled_histories))


INTERVAL_REFUSALS: list[tuple[str, dict[str, Any]]] = [
    ("nothing", {}),
    ("no metric_key", {"run_ids": ["a"]}),
    ("empty metric_key", {"run_ids": ["a"], "metric_key": ""}),
    ("no run_ids", {"metric_key": "loss"}),
    ("101 run_ids", {"run_ids": [f"r{i}" for i in range(101)], "metric_key": "loss"}),
    ("max_results 0", {"run_ids": ["a"], "metric_key": "loss", "max_results": 0}),
    ("max_results -1", {"run_ids": ["a"], "metric_key": "loss", "max_results": -1}),
    ("max_results 2501", {"run_ids": ["a"], "metric_key": "loss", "max_results": 2501}),
    ("max_results abc", {"run_ids": ["a"], "metric_key": "loss", "max_results": "abc"}),
    ("max_results 1.5", {"run_ids": ["a"], "metric_key": "loss", "max_results": "1.5"}),
    ("start_step only", {"run_ids": ["a"], "metric_key": "loss", "start_step": 1}),
    ("end_step only", {"run_ids": ["a"], "metric_key": "loss", "end_step": 1}),
    ("start after end", {"run_ids": ["a"], "metric_key": "loss", "start_step": 9, "end_step": 2}),
    ("start_step abc", {"run_ids": ["a"], "metric_key": "loss", "start_step": "x", "end_step": 2}),
    ("end_step abc", {"run_ids": ["a"], "metric_key": "loss", "start_step": 1, "end_step": "x"}),
]


def interval_refusals(client: MlflowClient, url: str) -> Any:
    return [
        (label, answer(requests.get(url + INTERVAL, params=params, timeout=30)))
        for label, params in INTERVAL_REFUSALS
    ]


def test_sampled_history_refusals_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_refusals(*on_both(servers, interval_refusals))


def dataset_summaries(client: MlflowClient, url: str) -> Any:
    """Datasets logged to two experiments' runs, with and without a context tag, one of them
    in two contexts; the summaries sorted, as MLflow leaves their order to the database."""
    ids = [client.create_experiment(f"datasets-{n}") for n in range(3)]
    for experiment_id, contexts in zip(ids, (["training", "evaluation"], [None]), strict=False):
        for context in contexts:
            run_id = client.create_run(experiment_id).info.run_id
            tags = [InputTag("mlflow.data.context", context)] if context else []
            inputs = [
                DatasetInput(Dataset(name, f"digest-{name}", "local", f"/data/{name}"), tags)
                for name in ("wine", "iris")
            ]
            client.log_inputs(run_id, inputs)
    answers = []
    for asked in ([ids[0]], ids, [ids[2]], ["987654"]):
        status, body = answer(requests.post(url + SEARCH_DATASETS, json={"experiment_ids": asked}))
        summaries = body.get("dataset_summaries", [])
        answers.append((status, sorted(summaries, key=lambda s: sorted(s.items()))))
    return answers


def test_dataset_summaries_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_answers(*on_both(servers, dataset_summaries))


DATASET_REFUSALS: list[tuple[str, Any]] = [
    ("nothing", {}),
    ("empty list", {"experiment_ids": []}),
    ("21 ids", {"experiment_ids": [str(n) for n in range(21)]}),
    ("not a number", {"experiment_ids": ["abc"]}),
    ("numbers, not strings", {"experiment_ids": [1]}),
    ("a string, not a list", {"experiment_ids": "1"}),
]


def dataset_refusals(client: MlflowClient, url: str) -> Any:
    answers = [
        (label, answer(requests.post(url + SEARCH_DATASETS, json=body, timeout=30)))
        for label, body in DATASET_REFUSALS
    ]
    return answers + content_type_refusals(url + SEARCH_DATASETS, {"experiment_ids": ["0"]})


def content_type_refusals(url: str, body: dict[str, Any]) -> list[Any]:
    """A JSON body sent without a Content-Type, and labelled as plain text."""
    data = json.dumps(body).encode()
    return [
        (label, answer(requests.post(url, data=data, headers=headers, timeout=30)))
        for label, headers in (("no type", {}), ("text", {"Content-Type": "text/plain"}))
    ]


def test_dataset_summary_refusals_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_refusals(*on_both(servers, dataset_refusals))


UPLOAD = "/ajax-api/2.0/mlflow/upload-artifact"


def uploads_and_model_files(client: MlflowClient, url: str) -> Any:
    """Files uploaded as the UI uploads them, read back through the proxy; a logged model's
    files listed and read through its artifact routes."""
    experiment_id = client.create_experiment("ui-artifacts")
    run_id = client.create_run(experiment_id).info.run_id
    answers: list[Any] = []
    for path, data in (
        ("notes.txt", b"hello"),
        ("deep/er/table.json", b"{}"),
    ):
        uploaded = requests.post(url + UPLOAD, params={"run_uuid": run_id, "path": path}, data=data)
        answers.append((uploaded.status_code, uploaded.text))
    answers.append(client.list_artifacts(run_id))
    answers.append(client.list_artifacts(run_id, "deep/er"))
    for prefix in ("/api", "/ajax-api"):
        for asked in ({"run_id": run_id}, {"run_uuid": run_id, "path": "deep"}):
            answers.append(answer(requests.get(f"{url}{prefix}/2.0/mlflow/artifacts/list", asked)))
    model = client.create_logged_model(experiment_id, name="ui-model")
    folder = model.artifact_location.removeprefix("mlflow-artifacts:/")
    for name, data in (("MLmodel", b"flavors: {}\n"), ("data/weights.bin", b"\x00\x01")):
        requests.put(f"{url}/api/2.0/mlflow-artifacts/artifacts/{folder}/{name}", data=data)
    model_routes = f"/2.0/mlflow/logged-models/{model.model_id}/artifacts"
    for prefix in ("/api", "/ajax-api"):
        for asked in ({}, {"artifact_directory_path": "data"}, {"artifact_directory_path": "no"}):
            listed = requests.get(url + prefix + model_routes + "/directories", params=asked)
            answers.append(answer(listed))
    for name in ("MLmodel", "data/weights.bin"):
        read = requests.get(
            url + "/ajax-api" + model_routes + "/files", params={"artifact_file_path": name}
        )
        answers.append((read.status_code, read.content.hex()))
    return answers


def test_uploads_and_model_files_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_answers(*on_both(servers, uploads_and_model_files))


def artifact_refusals(client: MlflowClient, url: str) -> Any:
    experiment_id = client.create_experiment("ui-artifact-refusals")
    run_id = client.create_run(experiment_id).info.run_id
    model_id = client.create_logged_model(experiment_id).model_id
    big = b"x" * (10 * 1024 * 1024 + 1)
    uploads: list[tuple[str, dict[str, str], bytes]] = [
        ("no run", {"path": "a.txt"}, b"x"),
        ("no path", {"run_id": run_id}, b"x"),
        ("no data", {"run_id": run_id, "path": "a.txt"}, b""),
        ("parent", {"run_id": run_id, "path": "../a.txt"}, b"x"),
        ("encoded parent", {"run_id": run_id, "path": "%2E%2E/a.txt"}, b"x"),
        ("absolute", {"run_id": run_id, "path": "/tmp/a.txt"}, b"x"),
        ("fragment", {"run_id": run_id, "path": "a#b"}, b"x"),
        ("file uri", {"run_id": run_id, "path": "file:///etc/a"}, b"x"),
        ("too large", {"run_id": run_id, "path": "big.bin"}, big),
        ("unknown run", {"run_id": "f" * 32, "path": "a.txt"}, b"x"),
    ]
    answers = [
        (label, answer(requests.post(url + UPLOAD, params=params, data=data, timeout=60)))
        for label, params, data in uploads
    ]
    model_routes = f"{url}/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts"
    reads: list[tuple[str, str, dict[str, str]]] = [
        ("file not named", "/files", {}),
        ("file parent", "/files", {"artifact_file_path": "../MLmodel"}),
        ("file absolute", "/files", {"artifact_file_path": "/etc/passwd"}),
        ("folder parent", "/directories", {"artifact_directory_path": "../x"}),
        ("presigned", "/files", {"artifact_file_path": "MLmodel", "presigned": "true"}),
    ]
    answers += [
        (label, answer(requests.get(model_routes + route, params=params, timeout=30)))
        for label, route, params in reads
    ]
    listing = url + "/ajax-api/2.0/mlflow/artifacts/list"
    for label, params in (("list no run", {}), ("list parent", {"run_id": run_id, "path": ".."})):
        answers.append((label, answer(requests.get(listing, params=params, timeout=30))))
    unknown = url + "/ajax-api/2.0/mlflow/logged-models/m-unknown/artifacts"
    answers.append(("unknown model", answer(requests.get(unknown + "/directories", timeout=30))))
    return answers


def test_artifact_refusals_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_refusals(*on_both(servers, artifact_refusals))


def ui_queries() -> dict[str, str]:
    """The GraphQL queries in MLflow's built UI, by operation name."""
    import mlflow.server

    bundle = Path(mlflow.server.__file__).parent / "js" / "build" / "static" / "js"
    found: dict[str, str] = {}
    for script in sorted(bundle.glob("*.js")):
        for match in UI_QUERY.finditer(script.read_text(errors="replace")):
            found.setdefault(match[2], match[1])
    return found


UI_QUERY = re.compile(r"`\s*((?:query|mutation)\s+(\w+)[^`]*)`")


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return answer(requests.post(url + "/graphql", json=body, timeout=30))


LISTING = """query Listing($input: MlflowListArtifactsInput) {
  mlflowListArtifacts(input: $input) { rootUri files { path isDir fileSize } }
}"""
DATASETS = """mutation Datasets($input: MlflowSearchDatasetsInput) {
  mlflowSearchDatasets(input: $input) { datasetSummaries { experimentId name digest context } }
}"""
MODEL_VERSIONS = """query Versions($input: MlflowSearchModelVersionsInput) {
  mlflowSearchModelVersions(input: $input) {
    modelVersions { name version runId status currentStage }
    nextPageToken
  }
}"""
ECHO = 'test(inputString: "x") { output }'


def graphql_answers(client: MlflowClient, url: str) -> Any:
    """What the UI's own queries and the other root fields answer about a run with metrics
    (one NaN), params, tags, a dataset, an uploaded artifact and a registered version."""
    experiment_id = client.create_experiment("graphql", tags={"team": "ui"})
    run = client.create_run(experiment_id, run_name="charted", tags={"stage": "dev"})
    run_id = run.info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_batch(run_id, metrics=[Metric("loss", 1 / (s + 1), 500 + s, s) for s in range(40)])
    client.log_metric(run_id, "odd", math.nan, timestamp=7, step=0)
    dataset = Dataset("wine", "d1", "local", "/data/wine")
    client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
    requests.post(url + UPLOAD, params={"run_id": run_id, "path": "plots/a.txt"}, data=b"a")
    client.create_registered_model("graphql-model")
    client.create_model_version("graphql-model", f"runs:/{run_id}/model", run_id)
    queries = ui_queries()
    interval = {"runIds": [run_id], "metricKey": "loss", "maxResults": 5}
    answers = [
        graphql(
            url, queries["MlflowGetExperimentQuery"], {"input": {"experimentId": experiment_id}}
        ),
        graphql(url, queries["GetRun"], {"data": {"runId": run_id}}),
        graphql(url, queries["GetRun"], {"data": {"runId": "f" * 32}}),
        graphql(url, queries["SearchRuns"], {"data": {"experimentIds": [experiment_id]}}),
        graphql(url, queries["GetMetricHistoryBulkInterval"], {"data": interval}),
        graphql(
            url, queries["GetMetricHistoryBulkInterval"], {"data": {**interval, "metricKey": "odd"}}
        ),
    ]
    for path in ("", "plots", "../up"):
        answers.append(graphql(url, LISTING, {"input": {"runId": run_id, "path": path}}))
    answers += [
        graphql(url, DATASETS, {"input": {"experimentIds": [experiment_id]}}),
        graphql(url, DATASETS, {"input": {}}),
        graphql(url, MODEL_VERSIONS, {"input": {"filter": "name='graphql-model'"}}),
        graphql(url, '{ test(inputString: "echo") { output } }'),
        graphql(url, "{ nope }"),
        graphql(url, "{" + " ".join(f"a{n}: {ECHO}" for n in range(11)) + "}"),
        graphql(url, "{" + " ".join(ECHO for _ in range(11)) + "}"),
    ]
    # MLflow serves GraphQL at /graphql only.
    elsewhere = requests.post(f"{url}/ajax-api/graphql", json={"query": "{" + ECHO + "}"})
    answers.append((elsewhere.status_code, {"data": None, "errors": None}))
    return answers


def test_graphql_answers_alike(servers: dict[str, LiveServer]) -> None:
    """The same data; the same errors, where trackstore may say more after MLflow's sentence."""
    theirs, ours = on_both(servers, graphql_answers)
    assert_same_answers(
        [(status, body["data"], len(body["errors"] or [])) for status, body in theirs],
        [(status, body["data"], len(body["errors"] or [])) for status, body in ours],
    )
    for (_, body), (_, our_body) in zip(theirs, ours, strict=True):
        for error, our_error in zip(body["errors"] or [], our_body["errors"] or [], strict=True):
            assert our_error.startswith(error), (error, our_error)


PROMPTLAB = "/ajax-api/2.0/mlflow/runs/create-promptlab-run"
PROMPTLAB_FILES = (
    "eval_results_table.json",
    "model/parameters.yaml",
    "model/input_example.json",
    "model/serving_input_example.json",
    "model/requirements.txt",
    "model/conda.yaml",
    "model/python_env.yaml",
)


def promptlab_runs(client: MlflowClient, url: str) -> Any:
    """A prompt lab run with every field and one with only the required ones: the runs, their
    artifact listings and files, and the MLmodel without its generated uuid and time."""
    experiment_id = client.create_experiment("promptlab")
    required = {
        "experiment_id": experiment_id,
        "prompt_template": "Translate {{ text }} into {{ language }}",
        "prompt_parameters": [
            {"key": "text", "value": "cat"},
            {"key": "language", "value": "French"},
        ],
        "model_route": "chat",
        "model_input": "Translate cat into French",
        "mlflow_version": "3.18.0",
    }
    full = {
        **required,
        "run_name": "lab-run",
        "model_parameters": [{"key": "temperature", "value": 0.2}, {"key": "top_k", "value": 3}],
        "model_output": "chat",
        "model_output_parameters": [{"key": "latency", "value": 120}],
        "user_id": "someone",
        "start_time": 1_000,
    }
    return [promptlab_run(client, url, body) for body in (full, required)]


def promptlab_run(client: MlflowClient, url: str, body: dict[str, Any]) -> Any:
    status, created = answer(requests.post(url + PROMPTLAB, json=body, timeout=60))
    run_id = created["run"]["info"]["run_id"]
    with tempfile.TemporaryDirectory() as folder:
        model = Path(client.download_artifacts(run_id, "model/MLmodel", folder))
        mlmodel = yaml.safe_load(model.read_text())
        files = [
            Path(client.download_artifacts(run_id, name, folder)).read_text()
            for name in PROMPTLAB_FILES
        ]
    generated = ("model_uuid", "utc_time_created")
    seen = (
        status,
        plain(client.get_run(run_id)),
        plain(client.list_artifacts(run_id)),
        plain(client.list_artifacts(run_id, "model")),
        files,
        {key: value for key, value in mlmodel.items() if key not in generated},
    )
    # The clock time in the log-model history, and the name a run without one is given.
    text = UTC_TIME.sub("<utc time>", json.dumps(seen))
    return json.loads(text.replace(created["run"]["info"]["run_name"], "<run name>"))


def test_promptlab_runs_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_answers(*on_both(servers, promptlab_runs))


def promptlab_refusals(client: MlflowClient, url: str) -> Any:
    body = {
        "experiment_id": client.create_experiment("promptlab-refusals"),
        "prompt_template": "{{ a }}",
        "prompt_parameters": [{"key": "a", "value": "b"}],
        "model_route": "chat",
        "model_input": "b",
        "mlflow_version": "3.18.0",
    }
    asked = [(f"no {name}", {k: v for k, v in body.items() if k != name}) for name in body]
    asked += [
        ("empty prompt_parameters", {**body, "prompt_parameters": []}),
        ("unknown experiment", {**body, "experiment_id": "987654"}),
    ]
    answers = [
        (label, answer(requests.post(url + PROMPTLAB, json=sent, timeout=60)))
        for label, sent in asked
    ]
    return answers + content_type_refusals(url + PROMPTLAB, body)


def test_promptlab_refusals_alike(servers: dict[str, LiveServer]) -> None:
    assert_same_refusals(*on_both(servers, promptlab_refusals))
