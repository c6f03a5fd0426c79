"""Bad requests sent to `mlflow server` 3.18.0 and `trackstore server` side by side (issue 17).

Each case is a request that MLflow refuses; trackstore must answer with the same HTTP status and
error_code, and its message must begin with MLflow's, word for word. What trackstore says after
MLflow's sentence is its own. Both servers run on new databases of the backend under test, seeded
alike (`tests.rest_fuzz.seed`); ids that differ between the two appear in a message as the
placeholder that names them ("<run_id>") before the texts are compared, the items of a set that
MLflow prints are sorted, and where MLflow quotes the database's own error, that part is left
out.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.client_scenarios import both_servers
from tests.live_server import LiveServer, at_head, json_caller
from tests.rest_fuzz import API, Call, FuzzRequest, placeholder, render, seed

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow", minversion="3.18")

AJAX = "/ajax-api/2.0/mlflow"
API3 = "/api/3.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts"
RUN = placeholder("run_id")
EXPERIMENT = placeholder("experiment_id")
MODEL = placeholder("model_name")
LOGGED_MODEL = placeholder("model_id")
MISSING_RUN = "0" * 32
LONG_KEY = "k" * 251
Answer = tuple[int, str, str]
SET_LITERAL = re.compile(r"\{('[^{}]*')\}")


@dataclass(frozen=True)
class Case:
    """One bad request; `body` is the JSON body, or the query string's fields for a GET."""

    name: str
    method: str
    path: str
    body: Any = None
    prefix: str = API
    path_values: dict[str, str] = field(default_factory=dict)
    # Where MLflow's message goes on with text that differs by database (its SQL error).
    database_detail: str | None = None

    def request(self) -> FuzzRequest:
        return FuzzRequest(
            self.prefix,
            self.method,
            self.path,
            {} if self.body is None else self.body,
            path_values=self.path_values,
        )


def metric(**fields: Any) -> dict[str, Any]:
    return {"key": "m", "value": 1.0, "timestamp": 1, "step": 0, **fields}


def run_metric(**fields: Any) -> dict[str, Any]:
    return {"run_id": RUN, **metric(**fields)}


def without(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key not in names}


CASES = [
    # Experiments.
    Case("create-experiment-without-name", "POST", "/experiments/create", {}),
    Case("create-experiment-name-not-text", "POST", "/experiments/create", {"name": 1}),
    Case(
        "create-experiment-location-not-text",
        "POST",
        "/experiments/create",
        {"name": "e-loc", "artifact_location": 5},
    ),
    Case(
        "create-experiment-tags-not-list",
        "POST",
        "/experiments/create",
        {"name": "e-tags", "tags": "a"},
    ),
    Case("create-experiment-name-blank", "POST", "/experiments/create", {"name": "  "}),
    Case(
        "create-experiment-name-taken",
        "POST",
        "/experiments/create",
        {"name": "fuzz-errors"},
        database_detail=" Error: ",
    ),
    Case(
        "create-experiment-location-runs-uri",
        "POST",
        "/experiments/create",
        {"name": "e-runs", "artifact_location": "runs:/x/y"},
    ),
    Case("get-experiment-without-id", "GET", "/experiments/get"),
    Case("get-experiment-unknown", "GET", "/experiments/get", {"experiment_id": "999999"}),
    Case("get-experiment-by-name-without-name", "GET", "/experiments/get-by-name"),
    Case(
        "get-experiment-by-name-unknown",
        "GET",
        "/experiments/get-by-name",
        {"experiment_name": "no-such-experiment"},
    ),
    Case("delete-experiment-without-id", "POST", "/experiments/delete", {}),
    Case("delete-experiment-unknown", "POST", "/experiments/delete", {"experiment_id": "999999"}),
    Case("restore-experiment-without-id", "POST", "/experiments/restore", {}),
    Case(
        "rename-experiment-without-new-name",
        "POST",
        "/experiments/update",
        {"experiment_id": EXPERIMENT},
    ),
    Case("rename-experiment-without-id", "POST", "/experiments/update", {"new_name": "x"}),
    Case(
        "set-experiment-tag-without-key",
        "POST",
        "/experiments/set-experiment-tag",
        {"experiment_id": EXPERIMENT, "value": "v"},
    ),
    Case(
        "set-experiment-tag-bad-key",
        "POST",
        "/experiments/set-experiment-tag",
        {"experiment_id": EXPERIMENT, "key": "../k", "value": "v"},
    ),
    Case("search-experiments-page-too-big", "POST", "/experiments/search", {"max_results": 100000}),
    Case(
        "search-experiments-bad-filter",
        "POST",
        "/experiments/search",
        {"max_results": 10, "filter": "name = "},
    ),
    Case("search-experiments-page-zero", "POST", "/experiments/search", {"max_results": 0}),
    Case(
        "search-experiments-bad-order",
        "POST",
        "/experiments/search",
        {"max_results": 10, "order_by": ["nope"]},
    ),
    Case(
        "search-experiments-bad-token",
        "POST",
        "/experiments/search",
        {"max_results": 10, "page_token": "not-a-token"},
    ),
    # Runs.
    Case("create-run-unknown-experiment", "POST", "/runs/create", {"experiment_id": "999999"}),
    Case("get-run-without-id", "GET", "/runs/get"),
    Case("get-run-unknown", "GET", "/runs/get", {"run_id": MISSING_RUN}),
    Case("update-run-without-id", "POST", "/runs/update", {"status": "FINISHED"}),
    Case("delete-run-without-id", "POST", "/runs/delete", {}),
    Case("delete-run-unknown", "POST", "/runs/delete", {"run_id": MISSING_RUN}),
    Case("restore-run-without-id", "POST", "/runs/restore", {}),
    Case(
        "search-runs-page-too-big",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "max_results": 100000},
    ),
    Case(
        "search-runs-bad-filter",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "filter": "metrics.m >"},
    ),
    Case(
        "search-runs-bad-order",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "order_by": ["nope.x"]},
    ),
    Case("search-runs-ids-not-list", "POST", "/runs/search", {"experiment_ids": EXPERIMENT}),
    Case(
        "search-runs-bad-token",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "page_token": "not-a-token"},
    ),
    Case("log-metric-without-run-id", "POST", "/runs/log-metric", without(run_metric(), "run_id")),
    Case("log-metric-without-key", "POST", "/runs/log-metric", without(run_metric(), "key")),
    Case("log-metric-without-value", "POST", "/runs/log-metric", without(run_metric(), "value")),
    Case(
        "log-metric-without-timestamp",
        "POST",
        "/runs/log-metric",
        without(run_metric(), "timestamp"),
    ),
    Case("log-metric-step-not-number", "POST", "/runs/log-metric", run_metric(step="foo")),
    Case("log-metric-value-not-number", "POST", "/runs/log-metric", run_metric(value="abc")),
    Case("log-metric-timestamp-not-number", "POST", "/runs/log-metric", run_metric(timestamp="t")),
    Case("log-metric-bad-key", "POST", "/runs/log-metric", run_metric(key="../m")),
    Case("log-metric-negative-timestamp", "POST", "/runs/log-metric", run_metric(timestamp=-1)),
    Case("log-metric-key-too-long", "POST", "/runs/log-metric", run_metric(key=LONG_KEY)),
    Case("log-metric-unknown-run", "POST", "/runs/log-metric", run_metric(run_id=MISSING_RUN)),
    Case("log-param-without-run-id", "POST", "/runs/log-parameter", {"key": "p", "value": "1"}),
    Case("log-param-without-key", "POST", "/runs/log-parameter", {"run_id": RUN, "value": "1"}),
    Case(
        "log-param-bad-key",
        "POST",
        "/runs/log-parameter",
        {"run_id": RUN, "key": "/p", "value": "1"},
    ),
    Case(
        "log-param-key-bad-characters",
        "POST",
        "/runs/log-parameter",
        {"run_id": RUN, "key": "a*b", "value": "1"},
    ),
    Case(
        "log-batch-metric-key-bad-characters",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [metric(key="m?")]},
    ),
    Case(
        "log-param-changed-value",
        "POST",
        "/runs/log-parameter",
        {"run_id": RUN, "key": "seeded", "value": "2"},
    ),
    Case("set-tag-without-run-id", "POST", "/runs/set-tag", {"key": "t", "value": "v"}),
    Case("set-tag-without-key", "POST", "/runs/set-tag", {"run_id": RUN, "value": "v"}),
    Case("set-tag-bad-key", "POST", "/runs/set-tag", {"run_id": RUN, "key": "a//b", "value": "v"}),
    Case("delete-tag-without-key", "POST", "/runs/delete-tag", {"run_id": RUN}),
    Case("delete-tag-unknown", "POST", "/runs/delete-tag", {"run_id": RUN, "key": "no-such-tag"}),
    Case("log-batch-without-run-id", "POST", "/runs/log-batch", {"metrics": [metric()]}),
    Case(
        "log-batch-metric-without-timestamp",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [without(metric(), "timestamp")]},
    ),
    Case(
        "log-batch-metric-without-key",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [metric(), without(metric(), "key")]},
    ),
    Case(
        "log-batch-metric-without-value",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [without(metric(), "value")]},
    ),
    Case(
        "log-batch-metric-bad-key",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [metric(), metric(key="a/../b")]},
    ),
    Case(
        "log-batch-param-without-key",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "params": [{"value": "1"}]},
    ),
    Case(
        "log-batch-tag-without-key",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "tags": [{"value": "1"}]},
    ),
    Case(
        "log-batch-too-many-metrics",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [metric(step=step) for step in range(1001)]},
    ),
    Case(
        "log-batch-too-many-params",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "params": [{"key": f"p{i}", "value": "1"} for i in range(101)]},
    ),
    Case(
        "log-batch-too-many-tags",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "tags": [{"key": f"t{i}", "value": "1"} for i in range(101)]},
    ),
    Case(
        "log-batch-duplicate-params",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "params": [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]},
    ),
    Case(
        "log-batch-param-key-too-long",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "params": [{"key": LONG_KEY, "value": "1"}]},
    ),
    Case(
        "log-batch-tag-key-too-long",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "tags": [{"key": LONG_KEY, "value": "1"}]},
    ),
    Case(
        "log-batch-metric-negative-timestamp",
        "POST",
        "/runs/log-batch",
        {"run_id": RUN, "metrics": [metric(), metric(timestamp=-5)]},
    ),
    Case("log-batch-metrics-not-list", "POST", "/runs/log-batch", {"run_id": RUN, "metrics": 1}),
    Case(
        "create-run-start-time-not-number",
        "POST",
        "/runs/create",
        {"experiment_id": EXPERIMENT, "start_time": "soon"},
    ),
    Case("delete-tag-unknown-run", "POST", "/runs/delete-tag", {"run_id": MISSING_RUN, "key": "t"}),
    Case(
        "search-runs-page-zero",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "max_results": 0},
    ),
    Case(
        "search-runs-unknown-order-attribute",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "order_by": ["attributes.nope DESC"]},
    ),
    Case(
        "search-runs-unknown-attribute",
        "POST",
        "/runs/search",
        {"experiment_ids": [EXPERIMENT], "filter": "attributes.nope = 'x'"},
    ),
    Case(
        "set-experiment-tag-value-too-long",
        "POST",
        "/experiments/set-experiment-tag",
        {"experiment_id": EXPERIMENT, "key": "k", "value": "v" * 20001},
    ),
    Case("log-inputs-without-run-id", "POST", "/runs/log-inputs", {"datasets": []}),
    Case("log-outputs-without-run-id", "POST", "/runs/outputs", {"models": []}),
    Case("log-model-without-run-id", "POST", "/runs/log-model", {"model_json": "{}"}),
    Case("metric-history-without-run-id", "GET", "/metrics/get-history", {"metric_key": "m"}),
    Case("metric-history-without-key", "GET", "/metrics/get-history", {"run_id": RUN}),
    Case(
        "metric-history-page-negative",
        "GET",
        "/metrics/get-history",
        {"run_id": RUN, "metric_key": "m", "max_results": "-1"},
    ),
    Case(
        "metric-history-bulk-without-run-id",
        "GET",
        "/metrics/get-history-bulk",
        {"metric_key": "m"},
        prefix=AJAX,
    ),
    Case(
        "metric-history-bulk-too-many-runs",
        "GET",
        "/metrics/get-history-bulk",
        {"metric_key": "m", "run_id": [f"{i:032x}" for i in range(101)]},
        prefix=AJAX,
    ),
    Case(
        "metric-history-bulk-without-key",
        "GET",
        "/metrics/get-history-bulk",
        {"run_id": RUN},
        prefix=AJAX,
    ),
    # Registered models.
    Case("create-model-without-name", "POST", "/registered-models/create", {}),
    Case("create-model-name-taken", "POST", "/registered-models/create", {"name": MODEL}),
    Case("create-model-name-with-slash", "POST", "/registered-models/create", {"name": "a/b"}),
    Case("get-model-without-name", "GET", "/registered-models/get"),
    Case("get-model-unknown", "GET", "/registered-models/get", {"name": "no-such-model"}),
    Case("rename-model-without-new-name", "POST", "/registered-models/rename", {"name": MODEL}),
    Case("update-model-without-name", "PATCH", "/registered-models/update", {"description": "d"}),
    Case("delete-model-without-name", "DELETE", "/registered-models/delete", {}),
    Case("delete-model-unknown", "DELETE", "/registered-models/delete", {"name": "no-such-model"}),
    Case("search-models-page-too-big", "GET", "/registered-models/search", {"max_results": 100000}),
    Case("search-models-bad-filter", "GET", "/registered-models/search", {"filter": "name = "}),
    Case("search-models-bad-order", "GET", "/registered-models/search", {"order_by": "nope"}),
    Case("latest-versions-without-name", "POST", "/registered-models/get-latest-versions", {}),
    Case(
        "set-model-tag-without-key",
        "POST",
        "/registered-models/set-tag",
        {"name": MODEL, "value": "v"},
    ),
    Case(
        "set-model-tag-bad-key",
        "POST",
        "/registered-models/set-tag",
        {"name": MODEL, "key": "../k", "value": "v"},
    ),
    Case(
        "delete-model-tag-without-key", "DELETE", "/registered-models/delete-tag", {"name": MODEL}
    ),
    Case(
        "rename-model-new-name-with-colon",
        "POST",
        "/registered-models/rename",
        {"name": MODEL, "new_name": "a:b"},
    ),
    Case(
        "set-model-tag-value-too-long",
        "POST",
        "/registered-models/set-tag",
        {"name": MODEL, "key": "k", "value": "v" * 100001},
    ),
    # Model versions.
    Case(
        "create-version-bad-tag-key",
        "POST",
        "/model-versions/create",
        {"name": MODEL, "source": "s3://b/m", "tags": [{"key": "../k", "value": "v"}]},
    ),
    Case(
        "create-version-source-walks-up",
        "POST",
        "/model-versions/create",
        {"name": MODEL, "source": "s3://b/m/../../x"},
    ),
    Case(
        "set-version-tag-bad-key",
        "POST",
        "/model-versions/set-tag",
        {"name": MODEL, "version": "1", "key": "a//b", "value": "v"},
    ),
    Case("create-version-without-name", "POST", "/model-versions/create", {"source": "s3://b/m"}),
    Case("create-version-without-source", "POST", "/model-versions/create", {"name": MODEL}),
    Case(
        "create-version-unknown-model",
        "POST",
        "/model-versions/create",
        {"name": "no-such-model", "source": "s3://b/m"},
    ),
    Case(
        "create-version-local-source-outside-run",
        "POST",
        "/model-versions/create",
        {"name": MODEL, "source": "/etc", "run_id": RUN},
    ),
    Case("get-version-without-version", "GET", "/model-versions/get", {"name": MODEL}),
    Case("get-version-not-number", "GET", "/model-versions/get", {"name": MODEL, "version": "x"}),
    Case("get-version-unknown", "GET", "/model-versions/get", {"name": MODEL, "version": "99"}),
    Case(
        "transition-version-bad-stage",
        "POST",
        "/model-versions/transition-stage",
        {"name": MODEL, "version": "1", "stage": "Nowhere", "archive_existing_versions": False},
    ),
    Case(
        "transition-version-without-stage",
        "POST",
        "/model-versions/transition-stage",
        {"name": MODEL, "version": "1", "archive_existing_versions": False},
    ),
    Case("search-versions-page-too-big", "GET", "/model-versions/search", {"max_results": 300000}),
    Case("search-versions-bad-filter", "GET", "/model-versions/search", {"filter": "run_id ="}),
    Case(
        "set-version-tag-without-key",
        "POST",
        "/model-versions/set-tag",
        {"name": MODEL, "version": "1", "value": "v"},
    ),
    Case(
        "download-uri-without-version",
        "GET",
        "/model-versions/get-download-uri",
        {"name": MODEL},
    ),
    # Aliases.
    Case(
        "set-alias-without-alias",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "version": "1"},
    ),
    Case(
        "set-alias-latest",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "alias": "Latest", "version": "1"},
    ),
    Case(
        "set-alias-version-like",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "alias": "v2", "version": "1"},
    ),
    Case(
        "set-alias-bad-characters",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "alias": "a b", "version": "1"},
    ),
    Case(
        "set-alias-unknown-version",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "alias": "champion", "version": "99"},
    ),
    Case(
        "get-by-unknown-alias",
        "GET",
        "/registered-models/alias",
        {"name": MODEL, "alias": "nobody"},
    ),
    Case(
        "set-alias-too-long",
        "POST",
        "/registered-models/alias",
        {"name": MODEL, "alias": "a" * 256, "version": "1"},
    ),
    Case("delete-alias-without-alias", "DELETE", "/registered-models/alias", {"name": MODEL}),
    # Logged models.
    Case("create-logged-model-without-experiment", "POST", "/logged-models", {}),
    Case(
        "get-logged-model-unknown",
        "GET",
        "/logged-models/{model_id}",
        path_values={"model_id": "m-" + "0" * 32},
    ),
    Case(
        "finalize-logged-model-without-status",
        "PATCH",
        "/logged-models/{model_id}",
        {"model_id": LOGGED_MODEL},
        path_values={"model_id": LOGGED_MODEL},
    ),
    Case("search-logged-models-without-experiments", "POST", "/logged-models/search", {}),
    Case(
        "search-logged-models-bad-filter",
        "POST",
        "/logged-models/search",
        {"experiment_ids": [EXPERIMENT], "filter": "metrics.m >"},
    ),
    Case(
        "logged-model-delete-unknown-tag",
        "DELETE",
        "/logged-models/{model_id}/tags/{tag_key}",
        path_values={"model_id": LOGGED_MODEL, "tag_key": "no-such-tag"},
    ),
    # Artifacts and traces.
    Case(
        "list-artifacts-path-walks-up",
        "GET",
        "/artifacts",
        {"path": "../x"},
        prefix=ARTIFACTS,
    ),
    Case(
        "download-artifact-path-walks-up",
        "GET",
        "/artifacts/{path}",
        prefix=ARTIFACTS,
        path_values={"path": "a/../../x"},
    ),
    Case(
        "get-trace-unknown",
        "GET",
        "/traces/{trace_id}",
        prefix=API3,
        path_values={"trace_id": "tr-" + "0" * 32},
    ),
    Case("search-traces-without-locations", "POST", "/traces/search", {}, prefix=API3),
    Case(
        "search-traces-page-too-big",
        "POST",
        "/traces/search",
        {"locations": [{"mlflow_experiment": {"experiment_id": EXPERIMENT}}], "max_results": 501},
        prefix=API3,
    ),
    Case(
        "search-traces-bad-filter",
        "POST",
        "/traces/search",
        {
            "locations": [{"mlflow_experiment": {"experiment_id": EXPERIMENT}}],
            "filter": "trace.status =",
        },
        prefix=API3,
    ),
]


def seed_errors(call: Call) -> dict[str, str]:
    """What the cases refer to: `seed`'s objects, and a param logged to the run."""
    ids = seed(call, "errors")
    body = {"run_id": ids["run_id"], "key": "seeded", "value": "1"}
    status, answer = call("POST", API + "/runs/log-parameter", json.dumps(body).encode())
    assert status == 200, answer
    return ids


Seeded = tuple[LiveServer, dict[str, str]]


@pytest.fixture(scope="module")
def servers(
    backend: str, second_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Seeded]]:
    """Each server, started on its own new database of `backend`'s kind, with the ids of the
    objects seeded there."""
    uris = {"trackstore": at_head(backend), "mlflow": second_backend}
    root: Path = tmp_path_factory.mktemp("error-servers")
    for started in both_servers(root, uris=uris):
        yield {name: (server, seed_errors(json_caller(server))) for name, server in started.items()}


def answer(server: LiveServer, ids: dict[str, str], shown: dict[str, str], case: Case) -> Answer:
    """Status, error_code and message; the ids in `shown` appear in the message by name."""
    url, body = render(case.request(), ids)
    status, reply = json_caller(server)(case.method, url, body)
    assert isinstance(reply, dict), (status, reply)
    message = str(reply.get("message", ""))
    for name, value in shown.items():
        message = message.replace(value, placeholder(name))
    if case.database_detail:
        message = message.split(case.database_detail)[0]
    return status, str(reply.get("error_code")), SET_LITERAL.sub(sorted_set, message)


def sorted_set(found: re.Match[str]) -> str:
    """A set MLflow prints, its items sorted: Python orders a set of strings differently in
    each process."""
    return "{" + ", ".join(sorted(found.group(1).split(", "))) + "}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_refused_as_mlflow_refuses(servers: dict[str, Seeded], case: Case) -> None:
    (mlflow_server, mlflow_ids), (our_server, our_ids) = servers["mlflow"], servers["trackstore"]
    differing = [name for name, value in mlflow_ids.items() if our_ids[name] != value]
    theirs = answer(mlflow_server, mlflow_ids, {n: mlflow_ids[n] for n in differing}, case)
    ours = answer(our_server, our_ids, {n: our_ids[n] for n in differing}, case)
    assert theirs[0] >= 400, f"MLflow accepted the request: {theirs}"
    assert ours[:2] == theirs[:2], f"mlflow: {theirs}\ntrackstore: {ours}"
    assert ours[2].startswith(theirs[2]), f"mlflow: {theirs[2]!r}\ntrackstore: {ours[2]!r}"
