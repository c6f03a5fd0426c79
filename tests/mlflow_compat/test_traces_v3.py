"""Traces from the MLflow 3.18 client against `trackstore server` and `mlflow server` 3.18.0.

Both servers start on new databases of the chosen backend (SQLite, PostgreSQL). Each scenario
traces functions with `@mlflow.trace` and `mlflow.start_span` (spans go over OTLP, the trace
info over `/api/3.0/mlflow/traces`), then reads, searches, assesses, tags and deletes them with
the client; the answers must be equal once generated ids and clock times are placeholders.
"""

import gzip
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.live_server import LiveServer, servers_on_backend

mlflow = pytest.importorskip("mlflow")
from google.protobuf.json_format import MessageToDict  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Assessment, AssessmentSource, Feedback  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

from tests.client_scenarios import assert_same_answers  # noqa: E402

pytestmark = [pytest.mark.mlflow_compat, pytest.mark.backends("sqlite", "postgresql")]

Scenario = Callable[[MlflowClient], Any]
TRACE_ID = re.compile(r"\btr-[0-9a-f]{32}\b")
ASSESSMENT_ID = re.compile(r"\ba-[0-9a-f]{32}\b")
EXPERIMENT_IN_URI = re.compile(r"(mlflow-artifacts:/)(\d+)")
# Span ids (base64 of 8 bytes, or 16 hex digits) and trace ids in base64 (16 bytes).
SPAN_ID_FIELDS = ("span_id", "parent_span_id", "parent_id")
CLOCK_FIELDS = (
    "request_time",
    "execution_duration",
    "execution_duration_ms",
    "execution_time_ms",
    "timestamp_ms",
    "start_time_ns",
    "end_time_ns",
    "start_time_unix_nano",
    "end_time_unix_nano",
    "create_time",
    "last_update_time",
    "create_time_ms",
    "last_update_time_ms",
    "time_unix_nano",
)
# Sizes of the trace as the client measured it: its span ids and times differ per run.
VOLATILE_METADATA = ("mlflow.trace.sizeStats", "mlflow.trace.sizeBytes")


@pytest.fixture(scope="module")
def servers(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, LiveServer]]:
    """mlflow server 3.18.0 and trackstore server, each on a new database of `backend`."""
    yield from servers_on_backend(backend, tmp_path_factory.mktemp("trace-servers"))


@pytest.fixture(autouse=True)
def synchronous_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spans and traces are sent before the traced call returns, and errors are not retried."""
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)


def on_both(servers: dict[str, LiveServer], scenario: Scenario) -> tuple[Any, Any]:
    answers = []
    for name in ("mlflow", "trackstore"):
        mlflow.set_tracking_uri(servers[name].url)
        answers.append(normalise(scenario(MlflowClient(servers[name].url))))
    return answers[0], answers[1]


def assert_same(servers: dict[str, LiveServer], scenario: Scenario) -> None:
    assert_same_answers(*on_both(servers, scenario))


def plain(value: Any) -> Any:
    """Traces, trace infos, assessments and containers of them as plain data."""
    if isinstance(value, Assessment):
        message = value.to_proto()  # type: ignore[no-untyped-call]
        return MessageToDict(message, preserving_proto_field_name=True)
    if hasattr(value, "to_dict") and not isinstance(value, dict):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def normalise(answer: Any) -> Any:
    """Ids as placeholders numbered in order of appearance, clock values as <clock>."""
    ids: dict[str, str] = {}
    experiments: dict[str, str] = {"0": "0"}

    def placeholder(value: str, kind: str) -> str:
        return ids.setdefault(value, f"<{kind} {len(ids)}>")

    def text(value: str) -> str:
        value = TRACE_ID.sub(lambda m: placeholder(m[0], "trace"), value)
        value = ASSESSMENT_ID.sub(lambda m: placeholder(m[0], "assessment"), value)
        return EXPERIMENT_IN_URI.sub(
            lambda m: m[1] + experiments.setdefault(m[2], f"<experiment {len(experiments)}>"),
            value,
        )

    def walk(value: Any, key: str = "") -> Any:
        if key in CLOCK_FIELDS and value is not None:
            return "<clock>"
        if key in SPAN_ID_FIELDS and isinstance(value, str):
            return placeholder(value, "span")
        if key == "trace_id" and isinstance(value, str) and not value.startswith("tr-"):
            return placeholder(value, "otel trace")
        if key == "experiment_id" and isinstance(value, str):
            return experiments.setdefault(value, f"<experiment {len(experiments)}>")
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items() if k not in VOLATILE_METADATA}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            return text(value)
        return value

    return walk(plain(answer))


def error_code(call: Callable[[], Any]) -> str:
    try:
        call()
    except MlflowException as exc:
        return str(exc.error_code)
    return "no error"


def experiment_id(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None
    return str(experiment.experiment_id)


def traced_calls(experiment: str) -> list[str]:
    """Three traces in `experiment`: nested spans with token usage, an error, a tagged one."""
    mlflow.set_experiment(experiment)

    @mlflow.trace(span_type="CHAIN")  # type: ignore[untyped-decorator]
    def answer(question: str) -> dict[str, Any]:
        with mlflow.start_span("retrieve", span_type="RETRIEVER") as span:
            span.set_inputs({"query": question})
            span.set_outputs([{"page_content": "doc", "metadata": {"n": 1}}])
        with mlflow.start_span("generate", span_type="LLM") as span:
            span.set_inputs({"messages": [{"role": "user", "content": question}]})
            span.set_attribute(
                "mlflow.chat.tokenUsage",
                {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
            )
            span.set_attribute("temperature", 0.5)
            span.add_event(mlflow.entities.SpanEvent("chunk", attributes={"index": 1}))
            span.set_outputs({"text": f"answer to {question} — ü"})
        return {"answer": "42"}

    @mlflow.trace(name="failing")  # type: ignore[untyped-decorator]
    def failing() -> None:
        raise ValueError("broken")

    ids = []
    answer("what?")
    ids.append(mlflow.get_last_active_trace_id())
    with pytest.raises(ValueError):
        failing()
    ids.append(mlflow.get_last_active_trace_id())
    with mlflow.start_span("manual") as span:
        span.set_inputs("plain text")
        mlflow.update_current_trace(
            tags={"team": "search"}, metadata={"mlflow.trace.session": "s1"}
        )
    ids.append(mlflow.get_last_active_trace_id())
    return [i for i in ids if i is not None]


def test_traces_with_nested_spans(servers: dict[str, LiveServer]) -> None:
    def scenario(client: MlflowClient) -> Any:
        ids = traced_calls("nested-spans")
        return {
            "traces": [client.get_trace(trace_id) for trace_id in ids],
            "infos": [mlflow.get_trace(trace_id).info for trace_id in ids],
            "missing": error_code(lambda: client.get_trace("tr-" + "0" * 32)),
        }

    assert_same(servers, scenario)


USAGE = json.dumps({"input_tokens": 10, "output_tokens": 5, "total_tokens": 15})


def test_search_traces(servers: dict[str, LiveServer]) -> None:
    def scenario(client: MlflowClient) -> Any:
        traced_calls("searched")
        experiment = experiment_id(client, "searched")

        def search(**options: Any) -> Any:
            found = client.search_traces(locations=[experiment], **options)
            return [trace.info.trace_id for trace in found]

        return {
            "all": search(),
            "ok": search(filter_string="trace.status = 'OK'"),
            "error": search(filter_string="attributes.status = 'ERROR'"),
            "by tag": search(filter_string="tags.team = 'search'"),
            "by name": search(filter_string="trace.name = 'failing'"),
            "by metadata": search(filter_string="metadata.`mlflow.source.type` = 'LOCAL'"),
            "since": search(filter_string="trace.timestamp_ms > 0"),
            "oldest first": search(order_by=["timestamp_ms ASC"]),
            "page": search(max_results=1),
            "bad filter": error_code(lambda: search(filter_string="trace.nope = 1")),
            "span type": search(filter_string="span.type = 'LLM'"),
            "span name": search(filter_string="span.name LIKE 'gen%'"),
            "session": search(filter_string="metadata.`mlflow.trace.session` = 's1'"),
            "tokens": search(filter_string=f"metadata.`mlflow.trace.tokenUsage` = '{USAGE}'"),
            "other tokens": search(
                filter_string=f"metadata.`mlflow.trace.tokenUsage` != '{USAGE}'"
            ),
            "ended": search(filter_string="trace.end_time_ms > 0"),
            "name pattern": search(filter_string="trace.name LIKE 'fail%'"),
            "names": error_code(
                lambda: search(filter_string="trace.name IN ('failing', 'manual')")
            ),
        }

    assert_same(servers, scenario)


# MLflow 3.18's further trace filters: span attributes, text, prompts, assessments by value,
# IS NULL and IS NOT NULL; and the refusals among them (answered by error code).
FILTERS_318 = (
    "span.attributes.temperature LIKE '%0.5%'",
    "span.attributes.`mlflow.spanType` LIKE '%LLM%'",
    "span.attributes.temperature ILIKE '%0.5%'",
    "span.attributes.temperature = '0.5'",
    "span.attributes.temperature != '0.5'",
    "span.attributes.temperature IN ('0.5')",
    "span.attributes. = 'x'",
    "span.name = 'generate' AND span.type = 'LLM'",
    "span.name = 'retrieve' AND span.type = 'LLM'",
    "span.name IS NULL",
    "span.content LIKE '%plain text%'",
    "trace.text LIKE '%doc%'",
    "trace.text ILIKE '%DOC%'",
    "trace.text = 'doc'",
    "tags.team IS NULL",
    "tags.team IS NOT NULL",
    "trace.name IS NOT NULL",
    "metadata.`mlflow.trace.session` IS NULL",
    "metadata.`mlflow.trace.session` IS NOT NULL",
    "metadata.`mlflow.source.type` IS NOT NULL",
    "metadata.`mlflow.trace.tokenUsage` IS NULL",
    "metadata.`mlflow.trace.tokenUsage` IS NOT NULL",
    "run_id IS NULL",
    "run_id != 'abc'",
    "trace.status IS NULL",
    "prompt = 'qa/1'",
    "prompt = 'qa/2'",
    "prompt = 'qa'",
    "prompt LIKE 'qa%'",
    "tags.`mlflow.linkedPrompts` IS NULL",
    "feedback.relevance > 0.5",
    "feedback.relevance <= 0.5",
    "feedback.relevance > '0.5'",
    "feedback.relevance IS NULL",
    "feedback.relevance IS NOT NULL",
    "feedback.relevance LIKE '0.%'",
    "feedback.reviewed = 'yes'",
    "expectation.expected IS NOT NULL",
    "issue.id = 'issue-1'",
)


def test_search_traces_filters_of_318(servers: dict[str, LiveServer]) -> None:
    from mlflow.entities.model_registry import PromptVersion
    from mlflow.tracing.client import TracingClient

    def scenario(client: MlflowClient) -> Any:
        ids = traced_calls("filtered")
        with mlflow.start_span("follow-up"):
            mlflow.update_current_trace(metadata={"mlflow.trace.session": "s1"})
        ids.append(str(mlflow.get_last_active_trace_id()))
        experiment = experiment_id(client, "filtered")
        prompt = PromptVersion(name="qa", version=1, template="Answer {{question}}")
        TracingClient(client.tracking_uri).link_prompt_versions_to_trace(ids[0], [prompt])
        mlflow.log_feedback(trace_id=ids[0], name="relevance", value=0.8)
        mlflow.log_feedback(trace_id=ids[1], name="relevance", value=0.2)
        mlflow.log_expectation(trace_id=ids[1], name="expected", value="42")
        # Of the whole session s1 (traces 2 and 3), logged on one of its traces.
        mlflow.log_feedback(
            trace_id=ids[2], name="reviewed", value="yes",
            metadata={"mlflow.trace.session": "s1"},
        )  # fmt: skip

        def search(text: str) -> Any:
            try:
                found = client.search_traces(locations=[experiment], filter_string=text)
            except MlflowException as exc:
                return str(exc.error_code)
            return sorted(ids.index(trace.info.trace_id) for trace in found)

        return {text: search(text) for text in FILTERS_318}

    assert_same(servers, scenario)


def test_v2_trace_calls_keep_tokens_cost_and_session_in_columns(
    servers: dict[str, LiveServer],
) -> None:
    """MLflow 3.1.4's client starts and ends traces through the V2 API; the promoted metadata
    it sends land where MLflow 3.18 keeps them, so that the V3 search finds them."""
    import requests

    cost = json.dumps({"input_cost": 0.5, "output_cost": 0.25, "total_cost": 0.75})

    def scenario(client: MlflowClient) -> Any:
        experiment = client.create_experiment("v2-columns")
        base = client._tracking_client.tracking_uri + "/api/2.0/mlflow/traces"
        started = requests.post(
            base,
            json={
                "experiment_id": experiment,
                "timestamp_ms": 1000,
                "request_metadata": [
                    {"key": "mlflow.trace.tokenUsage", "value": USAGE},
                    {"key": "mlflow.trace.session", "value": "s9"},
                    {"key": "plain", "value": "kept"},
                ],
            },
            timeout=30,
        ).json()["trace_info"]
        request_id = started.pop("request_id")
        # The artifact location holds the request id, a plain uuid the placeholders miss.
        started["tags"] = [t for t in started["tags"] if t["key"] != "mlflow.artifactLocation"]
        ended = requests.patch(
            f"{base}/{request_id}",
            json={
                "request_id": request_id,
                "timestamp_ms": 1500,
                "status": "OK",
                "request_metadata": [{"key": "mlflow.trace.cost", "value": cost}],
            },
            timeout=30,
        ).json()["trace_info"]
        ended.pop("request_id")
        ended["tags"] = [t for t in ended["tags"] if t["key"] != "mlflow.artifactLocation"]
        for info in (started, ended):
            info["request_metadata"].sort(key=lambda entry: entry["key"])

        def found(text: str) -> int:
            # V2 traces have no spans; the client would try to download them.
            found = client.search_traces(
                locations=[experiment], filter_string=text, include_spans=False
            )
            return len(found)

        return {
            "started": started,
            "ended": ended,
            "by tokens": found(f"metadata.`mlflow.trace.tokenUsage` = '{USAGE}'"),
            "by cost": found(f"metadata.`mlflow.trace.cost` = '{cost}'"),
            "by session": found("metadata.`mlflow.trace.session` = 's9'"),
        }

    theirs, ours = on_both(servers, scenario)
    assert (ours["by tokens"], ours["by cost"], ours["by session"]) == (1, 1, 1)
    assert_same_answers(theirs, ours)


def test_assessments(servers: dict[str, LiveServer]) -> None:
    def scenario(client: MlflowClient) -> Any:
        trace_id = traced_calls("assessed")[0]
        human = AssessmentSource(source_type="HUMAN", source_id="reviewer")
        feedback = mlflow.log_feedback(
            trace_id=trace_id, name="relevance", value=0.8, source=human, rationale="close",
            metadata={"round": "1"},
        )  # fmt: skip
        expectation = mlflow.log_expectation(
            trace_id=trace_id, name="expected", value={"answer": "42", "sources": ["doc"]}
        )
        scalar = mlflow.log_expectation(trace_id=trace_id, name="short", value="42")
        verdict = mlflow.log_feedback(trace_id=trace_id, name="correct", value=True)
        updated = mlflow.update_assessment(
            trace_id=trace_id,
            assessment_id=feedback.assessment_id,
            assessment=Feedback(name="relevance", value=0.9, rationale="better"),
        )
        mlflow.delete_assessment(trace_id=trace_id, assessment_id=verdict.assessment_id)
        return {
            "logged": [feedback, expectation, scalar],
            "got": mlflow.get_assessment(trace_id, expectation.assessment_id),
            "updated": updated,
            "trace": mlflow.get_trace(trace_id).info.assessments,
            "found by feedback": [
                trace.info.trace_id
                for trace in client.search_traces(
                    locations=[experiment_id(client, "assessed")],
                    filter_string="feedback.relevance = '0.9'",
                )
            ],
            "deleted": error_code(lambda: mlflow.get_assessment(trace_id, verdict.assessment_id)),
            "unknown trace": error_code(
                lambda: mlflow.log_feedback(trace_id="tr-" + "1" * 32, name="x", value=1)
            ),
        }

    assert_same(servers, scenario)


def test_trace_tags_and_deletes(servers: dict[str, LiveServer]) -> None:
    def scenario(client: MlflowClient) -> Any:
        ids = traced_calls("deleted")
        experiment = experiment_id(client, "deleted")
        client.set_trace_tag(ids[0], "reviewed", "yes")
        client.set_trace_tag(ids[0], "gone", "soon")
        client.delete_trace_tag(ids[0], "gone")
        tagged = client.get_trace(ids[0]).info.tags
        by_id = client.delete_traces(experiment, trace_ids=[ids[1]])
        left = [t.info.trace_id for t in client.search_traces(locations=[experiment])]
        by_time = client.delete_traces(experiment, max_timestamp_millis=int(time.time() * 1000))
        return {
            "tags": tagged,
            "missing tag": error_code(lambda: client.delete_trace_tag(ids[0], "never")),
            "deleted by id": by_id,
            "left": left,
            "deleted by time": by_time,
            "after": [t.info.trace_id for t in client.search_traces(locations=[experiment])],
            "get deleted": error_code(lambda: client.get_trace(ids[0])),
        }

    assert_same(servers, scenario)


def test_traces_linked_to_a_run(servers: dict[str, LiveServer]) -> None:
    def scenario(client: MlflowClient) -> Any:
        ids = traced_calls("linked")
        experiment = experiment_id(client, "linked")
        with mlflow.start_run() as run:
            inside = traced_calls("linked")[0]
        client.link_traces_to_run(ids[:2], run.info.run_id)
        client.link_traces_to_run(ids[:1], run.info.run_id)

        def of_run() -> list[str]:
            found = client.search_traces(
                locations=[experiment], filter_string=f"run_id = '{run.info.run_id}'"
            )
            return sorted(trace.info.trace_id for trace in found)

        return {
            "linked": len(of_run()),
            "linked as expected": of_run() == sorted([*ids[:2], inside]),
            "too many": error_code(
                lambda: client.link_traces_to_run(["tr-x"] * 101, run.info.run_id)
            ),
        }

    assert_same(servers, scenario)


def otlp_json_export(trace_hex: str) -> dict[str, Any]:
    """An OTLP/JSON export of one root span with one child, ids in hex as OTLP writes them."""
    now = time.time_ns()

    def span(span_id: str, parent: str | None, name: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "traceId": trace_hex,
            "spanId": span_id,
            "name": name,
            "kind": 1,
            "startTimeUnixNano": str(now),
            "endTimeUnixNano": str(now + 5_000_000),
            "attributes": [
                {"key": "service.step", "value": {"stringValue": "chat"}},
                {"key": "count", "value": {"intValue": "3"}},
                {"key": "ratio", "value": {"doubleValue": 0.5}},
            ],
            "status": {"code": 1},
        }
        if parent:
            body["parentSpanId"] = parent
        return body

    spans = [
        span("00000000000000aa", None, "agent"),
        span("00000000000000bb", "00000000000000aa", "tool"),
    ]
    return {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}


def test_otlp_json_and_bad_exports(servers: dict[str, LiveServer]) -> None:
    import requests

    def scenario(client: MlflowClient) -> Any:
        experiment = client.create_experiment("otlp-json")
        url = client._tracking_client.tracking_uri + "/v1/traces"
        trace_hex = "0123456789abcdef0123456789abcdef"
        headers = {"Content-Type": "application/json", "x-mlflow-experiment-id": experiment}
        sent = requests.post(url, json=otlp_json_export(trace_hex), headers=headers, timeout=30)
        answers: dict[str, Any] = {"sent": sent.status_code, "trace": None}
        answers["trace"] = client.get_trace("tr-" + trace_hex)
        for name, body, extra in (
            ("wrong type", b"{}", {"Content-Type": "text/plain"}),
            ("not protobuf", b"\xff\xff", {"Content-Type": "application/x-protobuf"}),
            ("no spans", b"{}", {"Content-Type": "application/json"}),
        ):
            answer = requests.post(url, data=body, headers={**headers, **extra}, timeout=30)
            answers[name] = answer.status_code
        zipped = gzip.compress(json.dumps(otlp_json_export("a" * 32)).encode())
        gzipped = {**headers, "Content-Encoding": "gzip"}
        answers["gzip"] = requests.post(url, data=zipped, headers=gzipped, timeout=30).status_code
        answers["gzip trace"] = len(client.get_trace("tr-" + "a" * 32).data.spans)
        brotli = {**headers, "Content-Encoding": "br"}
        answers["br"] = requests.post(url, data=zipped, headers=brotli, timeout=30).status_code
        bare = {"Content-Type": "application/json"}
        export = otlp_json_export("fedcba9876543210fedcba9876543210")
        answers["no experiment"] = requests.post(
            url, json=export, headers=bare, timeout=30
        ).status_code
        unknown = {**bare, "x-mlflow-experiment-id": "987654"}
        answers["unknown experiment"] = requests.post(
            url, json=export, headers=unknown, timeout=30
        ).status_code
        client.delete_experiment(experiment)
        late = requests.post(url, json=export, headers=headers, timeout=30)
        answers["deleted experiment"] = late.status_code
        answers["late trace"] = client.get_trace("tr-fedcba9876543210fedcba9876543210").info.state
        return answers

    assert_same(servers, scenario)
