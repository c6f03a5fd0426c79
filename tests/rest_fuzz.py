"""Hypothesis strategies for requests to MLflow's REST routes, and what the fuzz tests share.

A generated `FuzzRequest` names one of trackstore's endpoints and carries fields drawn from
MLflow's field names, each holding a plausible value (an id that exists, a real status) or a
hostile one (NUL characters, text longer than any column, integers past 64 bits, NaN, the wrong
type, nested garbage); some POST bodies are raw bytes that are not a JSON object at all. Ids of
objects made by `seed` appear as placeholders ("<run_id>") that `render` replaces with one
server's ids, so that the same request can go to trackstore and to MLflow.
"""

import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from store.server.app import all_endpoints
from store.server.runs import AJAX_ENDPOINTS

API = "/api/2.0/mlflow"
PLACEHOLDERS = ("run_id", "experiment_id", "model_name", "model_id", "request_id")
AJAX_API = "/ajax-api/2.0/mlflow"
# (prefix, method, path) of every route.
ROUTES: list[tuple[str, str, str]] = sorted(
    [(API, endpoint.method, endpoint.path) for endpoint in all_endpoints()]
    + [(AJAX_API, endpoint.method, endpoint.path) for endpoint in AJAX_ENDPOINTS]
)
LENGTHS = (250, 251, 500, 501, 1000, 5001, 8000, 8001, 65536)
# Longest URL sent: HTTP clients and servers refuse longer ones before any handler runs.
MAX_URL_LENGTH = 8000
SAMPLE_TEXTS = (
    "", " ", "x", "a/b", "..", "a\x00b", "\x00", "ü€😀", "'; DROP TABLE runs; --", "%", "_",
    "RUNNING", "FINISHED", "KILLED", "Production", "Staging", "Archived", "None", "READY",
    "OK", "ERROR", "ACTIVE_ONLY", "DELETED_ONLY", "ALL", "true", "1", "0", "-1", "NaN",
    "metrics.m > 1", "params.p = 'v'", "tags.t LIKE '%x%'", "attributes.status = 'RUNNING'",
    "name = 'x'", "name LIKE 'fuzz%'", "run_id = 'x'", "timestamp_ms > 0", "metrics.m >",
    "start_time DESC", "metrics.m ASC", "name", "last_updated_timestamp", "version_number DESC",
    "eyJvZmZzZXQiOiAxfQ==", "not-a-token", "s3://bucket/x", "runs:/<run_id>/model",
    "models:/m/1", "file:///tmp/x", "mlflow-artifacts:/x",
)  # fmt: skip
# Field names of MLflow's request messages, top-level and nested.
FIELDS = (
    "name", "key", "value", "run_id", "run_uuid", "experiment_id", "experiment_ids", "model_id",
    "request_id", "request_ids", "max_results", "description", "status", "page_token", "alias",
    "version", "timestamp", "timestamp_ms", "step", "run_name", "order_by", "new_name", "models",
    "metric_key", "filter", "filter_string", "datasets", "dataset", "view_type",
    "run_view_type", "user_id", "tags", "metrics", "params", "tag_key", "start_time",
    "end_time", "stages", "stage", "source", "source_run_id", "run_link", "model_type",
    "model_json", "max_traces", "max_timestamp_millis", "experiment_name", "dataset_name",
    "dataset_digest", "artifact_location", "archive_existing_versions", "request_metadata",
    "run_ids", "digest", "source_type", "schema", "profile", "inputs", "model_inputs",
    "execution_time_ms", "trace_id", "lifecycle_stage",
)  # fmt: skip


@dataclass(frozen=True)
class FuzzRequest:
    """One request; `body` is a JSON value for POST, PATCH and DELETE unless `raw` is set."""

    prefix: str
    method: str
    path: str
    body: Any = None
    raw: bytes | None = None
    path_values: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        shown = self.raw if self.raw is not None else self.body
        return f"{self.method} {self.path} {shown!r}"[:400]


def placeholder(name: str) -> str:
    return f"<{name}>"


def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SAMPLE_TEXTS),
        st.sampled_from([placeholder(name) for name in PLACEHOLDERS]),
        st.text(max_size=12),
        st.builds(lambda n, c: c * n, st.sampled_from(LENGTHS), st.sampled_from("xé\x00")),
    )


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        texts(),
        st.none(),
        st.booleans(),
        st.integers(min_value=-5, max_value=5),
        st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars()
    inner = values(depth - 1)
    return st.one_of(
        scalars(),
        st.lists(inner, max_size=3),
        st.lists(pairs(inner), max_size=3),
        pairs(inner),
    )


def pairs(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with MLflow field names: {key, value}, a metric, a dataset, or any mix."""
    return st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5)


def plausible_metric() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"key": texts(), "value": scalars(), "timestamp": scalars()},
        optional={"step": scalars(), "model_id": texts(), "dataset_name": texts()},
    )


def bodies() -> st.SearchStrategy[dict[str, Any]]:
    """A request object: fields with likely values more often than not, plus any others."""
    likely: dict[str, st.SearchStrategy[Any]] = {
        "run_id": st.one_of(st.just(placeholder("run_id")), texts()),
        "experiment_id": st.one_of(st.just(placeholder("experiment_id")), scalars()),
        "experiment_ids": st.lists(
            st.one_of(st.just(placeholder("experiment_id")), scalars()), max_size=3
        ),
        "name": st.one_of(st.just(placeholder("model_name")), texts()),
        "model_id": st.one_of(st.just(placeholder("model_id")), texts()),
        "request_id": st.one_of(st.just(placeholder("request_id")), texts()),
        "key": texts(),
        "value": scalars(),
        "timestamp": scalars(),
        "metrics": st.lists(plausible_metric(), max_size=4),
        "params": st.lists(pairs(texts()), max_size=3),
        "tags": st.lists(pairs(texts()), max_size=3),
        "version": st.one_of(st.just("1"), scalars()),
    }
    return st.builds(
        lambda chosen, extra: {**extra, **chosen},
        st.fixed_dictionaries({}, optional=likely),
        st.dictionaries(st.sampled_from(FIELDS), values(), max_size=3),
    )


RAW_BODIES = (
    b"", b"{", b"[]", b"null", b"3", b'"text"', b'"{\\"name\\": 1}"', b"{'a': 1}", b"\xff\xfe",
    b'{"name": NaN}', b'{"name": "\\ud800"}', b"[" * 3000 + b"]" * 3000, b'{"a": 1e999}',
)  # fmt: skip


@st.composite
def requests(draw: Callable[[st.SearchStrategy[Any]], Any]) -> FuzzRequest:
    prefix, method, path = draw(st.sampled_from(ROUTES))
    path_values = {
        name: draw(st.one_of(st.just(placeholder(name)), texts()))
        for name in ("model_id", "request_id", "tag_key")
        if "{" + name + "}" in path
    }
    if method != "GET" and draw(st.integers(0, 9)) == 0:
        return FuzzRequest(
            prefix, method, path, raw=draw(st.sampled_from(RAW_BODIES)), path_values=path_values
        )
    return FuzzRequest(prefix, method, path, body=draw(bodies()), path_values=path_values)


def render(request: FuzzRequest, ids: Mapping[str, str]) -> tuple[str, bytes | None]:
    """The URL path with query string, and the body bytes, with `ids` in the placeholders."""
    path = request.path
    for name, value in request.path_values.items():
        text = value if isinstance(value, str) else json.dumps(value)
        path = path.replace("{" + name + "}", urllib.parse.quote(substitute(text, ids), safe=""))
    url = f"{request.prefix}{path}"
    if request.raw is not None:
        return url, request.raw
    body = substitute(request.body, ids)
    if request.method == "GET":
        query = [
            (name, query_text(item))
            for name, value in body.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        return f"{url}?{urllib.parse.urlencode(query)}" if query else url, None
    return url, json.dumps(body).encode()


def query_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def substitute(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` with every placeholder string replaced by the id it names."""
    if isinstance(value, str):
        for name, real in ids.items():
            value = value.replace(placeholder(name), real)
        return value
    if isinstance(value, list):
        return [substitute(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, ids) for key, item in value.items()}
    return value


Call = Callable[[str, str, bytes | None], tuple[int, Any]]


def seed(call: Call, label: str) -> dict[str, str]:
    """An experiment, a run with a metric, a registered model with a version, a logged model
    and a trace, made through `call(method, url, body)`; their ids by placeholder name."""

    def post(path: str, body: dict[str, Any]) -> Any:
        status, answer = call("POST", API + path, json.dumps(body).encode())
        assert status == 200, (path, answer)
        return answer

    experiment_id = post("/experiments/create", {"name": f"fuzz-{label}"})["experiment_id"]
    run_id = post("/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
    post("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1})
    model_name = f"fuzz-model-{label}"
    post("/registered-models/create", {"name": model_name})
    post("/model-versions/create", {"name": model_name, "source": "s3://b/m", "run_id": run_id})
    model_id = post("/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    trace = post("/traces", {"experiment_id": experiment_id, "timestamp_ms": 1})
    return {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "model_name": model_name,
        "model_id": model_id,
        "request_id": trace["trace_info"]["request_id"],
    }
