"""Spans, V3 trace infos and assessments on every backend, as the MLflow 3.18 client sends them."""

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from sqlalchemy import func, select

from store.cli.gc import GarbageCollector
from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, StoreError
from store.common.tables import assessments, spans, trace_info
from store.traces.otlp import decompressed, read_export_request
from store.traces.trace_infos import TraceStoreV3
from store.tracking.store import TrackingStore
from tests.store.expect import refused

TRACE = bytes(range(16))
ROOT = bytes([1] * 8)
CHILD = bytes([2] * 8)
TRACE_ID = "tr-" + TRACE.hex()


@pytest.fixture
def trace() -> bytes:
    """A new OTLP trace id for each test (the database is shared by the module)."""
    return bytes(uuid.uuid4().bytes)


@pytest.fixture(scope="module")
def traces(store: TrackingStore) -> TraceStoreV3:
    return TraceStoreV3(store.engine)


def _attribute(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def _span(
    span_id: bytes, parent: bytes | None, name: str, start: int, end: int, **extra: Any
) -> Span:
    span = Span(
        trace_id=extra.get("trace", TRACE),
        span_id=span_id,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=end,
        status=Status(code=extra.get("status", Status.STATUS_CODE_OK)),
        attributes=[
            _attribute("mlflow.spanType", AnyValue(string_value=extra.get("type", "CHAIN"))),
            _attribute("mlflow.spanInputs", AnyValue(string_value=json.dumps({"q": name}))),
            *extra.get("attributes", []),
        ],
    )
    if parent is not None:
        span.parent_span_id = parent
    return span


def _request(*given: Span) -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(given)
    return bytes(request.SerializeToString())


def _usage(tokens: int) -> KeyValue:
    usage = {"input_tokens": tokens, "output_tokens": 1, "total_tokens": tokens + 1}
    return _attribute("mlflow.chat.tokenUsage", AnyValue(string_value=json.dumps(usage)))


def _root_and_child(trace: bytes = TRACE) -> list[Any]:
    body = _request(
        _span(
            CHILD,
            ROOT,
            "child",
            2_000_000,
            3_000_000,
            type="LLM",
            attributes=[_usage(3)],
            trace=trace,
        ),
        _span(ROOT, None, "root", 1_000_000, 5_000_000, trace=trace),
    )
    return read_export_request(body, "application/x-protobuf")


def test_protobuf_spans_read_as_mlflow_stores_them() -> None:
    child, root = _root_and_child()
    assert (root.trace_id, root.span_id, root.parent_span_id) == (TRACE_ID, ROOT.hex(), None)
    assert (child.parent_span_id, child.span_type, child.status) == (ROOT.hex(), "LLM", "OK")
    assert root.content["trace_id"] == base64.b64encode(TRACE).decode()
    assert root.content["kind"] == "SPAN_KIND_INTERNAL"
    assert root.content["status"] == {"code": "STATUS_CODE_OK", "message": ""}
    # A value the client already encoded as JSON is kept as it came; others are encoded once.
    assert root.attributes["mlflow.spanInputs"] == '{"q": "root"}'
    assert root.attributes["mlflow.spanType"] == '"CHAIN"'
    assert root.attributes["mlflow.traceRequestId"] == json.dumps(TRACE_ID)


def test_json_spans_take_hex_ids() -> None:
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": TRACE.hex(),
                                "spanId": ROOT.hex(),
                                "name": "root",
                                "startTimeUnixNano": "1000",
                                "endTimeUnixNano": "2000",
                                "attributes": [{"key": "n", "value": {"intValue": "7"}}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    (span,) = read_export_request(json.dumps(body).encode(), "application/json; charset=utf-8")
    assert (span.trace_id, span.span_id, span.attributes["n"]) == (TRACE_ID, ROOT.hex(), "7")


@pytest.mark.parametrize(
    ("body", "content_type", "sentence"),
    [
        (b"", "text/plain", "Invalid Content-Type"),
        (b"\xff\xff", "application/x-protobuf", "Invalid OpenTelemetry format"),
        (b"{}", "application/json", "no spans found"),
    ],
)
def test_bad_exports_are_refused(body: bytes, content_type: str, sentence: str) -> None:
    with pytest.raises(StoreError, match=sentence):
        read_export_request(body, content_type)


def _raw_deflate(raw: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(raw) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("Deflate", _raw_deflate)],
)
def test_compressed_exports_are_unpacked(encoding: str, pack: Callable[[bytes], bytes]) -> None:
    body = _request(_span(ROOT, None, "root", 1, 2))
    assert decompressed(pack(body), encoding) == body


def test_unknown_or_broken_encodings_are_refused() -> None:
    with pytest.raises(StoreError, match="Unsupported Content-Encoding: br"):
        decompressed(b"x", "br")
    with pytest.raises(StoreError, match="Failed to decompress gzip payload"):
        decompressed(b"not gzip", "gzip")


def test_spans_create_the_trace_then_the_info_finalizes_it(
    traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    tid = "tr-" + trace.hex()
    traces.log_spans(experiment_id, _root_and_child(trace))
    with traces.read_session() as session:
        row = session.execute(select(trace_info).where(trace_info.c.request_id == tid)).one()
        stored = session.execute(select(func.count()).where(spans.c.trace_id == tid)).scalar()
    assert (row.timestamp_ms, row.execution_time_ms, row.status) == (1, 4, "OK")
    assert (row.trace_name, row.input_tokens, row.total_tokens) == (None, 3, 4)
    assert (row.request_preview, row.db_payload_generation, stored) == ('{"q": "root"}', 1, 2)
    info = traces.start_trace_v3(
        {
            "trace_id": tid,
            "trace_location": {"mlflow_experiment": {"experiment_id": experiment_id}},
            "request_time": "1970-01-01T00:00:00.001Z",
            "execution_duration": "0.005s",
            "state": "OK",
            "trace_metadata": {"mlflow.trace.session": "s-1", "k": "v"},
            "tags": {"mlflow.traceName": "named", "team": "a"},
            "request_preview": "in",
        }
    )
    assert info["execution_duration"] == "0.005s"
    assert info["trace_metadata"] == {
        "k": "v",
        "mlflow.trace.infoFinalized": "true",
        "mlflow.trace.session": "s-1",
        "mlflow.trace.tokenUsage": json.dumps(
            {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}
        ),
    }
    assert info["tags"]["mlflow.traceName"] == "named"
    assert info["tags"]["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    got = traces.get_trace(tid)
    assert [s["name"] for s in got["spans"]] == ["root", "child"]
    assert got["spans"][1]["attributes"][0] == {
        "key": "mlflow.spanType",
        "value": {"string_value": "LLM"},
    }


def test_spans_of_a_trace_in_another_experiment_are_refused(
    store: TrackingStore, traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    other = store.create_experiment("other-for-spans")
    spans_of = _root_and_child(trace)
    traces.log_spans(experiment_id, spans_of)
    refused(INVALID_PARAMETER_VALUE, traces.log_spans, other, spans_of)


def test_search_v3_by_span_and_name(traces: TraceStoreV3, trace: bytes, experiment_id: str) -> None:
    tid = "tr-" + trace.hex()
    traces.log_spans(experiment_id, _root_and_child(trace))
    other = bytes([9] * 16)
    failing = _span(ROOT, None, "broken", 10, 20, trace=other, status=Status.STATUS_CODE_ERROR)
    traces.log_spans(
        experiment_id, read_export_request(_request(failing), "application/x-protobuf")
    )
    traces.set_trace_tag("tr-" + other.hex(), "mlflow.traceName", "broken")

    def found(filter_string: str) -> list[str]:
        infos, _ = traces.search_traces_v3([experiment_id], filter_string)
        return [info["trace_id"] for info in infos]

    assert found("span.type = 'LLM'") == [tid]
    assert found('span.content LIKE \'%"name": "child"%\'') == [tid]
    assert found("trace.status = 'ERROR'") == ["tr-" + other.hex()]
    assert found("trace.name LIKE 'bro%'") == ["tr-" + other.hex()]
    assert found("trace.end_time_ms <= 0") == ["tr-" + other.hex()]
    usage = json.dumps({"input_tokens": 3, "output_tokens": 1, "total_tokens": 4})
    assert found(f"metadata.`mlflow.trace.tokenUsage` = '{usage}'") == [tid]
    # Only the JSON MLflow renders matches: other spacing or order is a different value.
    assert found("metadata.`mlflow.trace.tokenUsage` = '{\"input_tokens\":3}'") == []
    assert found(f"metadata.`mlflow.trace.tokenUsage` != '{usage}'") == []
    refused(
        INVALID_PARAMETER_VALUE,
        traces.search_traces_v3,
        [experiment_id],
        "metadata.`mlflow.trace.cost` LIKE '%'",
    )


def test_assessments_create_update_delete(
    traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    tid = "tr-" + trace.hex()
    traces.log_spans(experiment_id, _root_and_child(trace))
    first = traces.create_assessment(
        {
            "trace_id": tid,
            "assessment_name": "good",
            "source": {"source_type": "HUMAN", "source_id": "me"},
            "feedback": {"value": True},
        }
    )
    override = traces.create_assessment(
        {
            "trace_id": tid,
            "assessment_name": "good",
            "source": {"source_type": "HUMAN", "source_id": "me"},
            "feedback": {"value": False},
            "overrides": first["assessment_id"],
        }
    )
    assert traces.get_assessment(tid, first["assessment_id"])["valid"] is False
    updated = traces.update_assessment(
        tid, override["assessment_id"], {"feedback": {"value": "yes"}}, ["feedback"]
    )
    assert updated["feedback"] == {"value": "yes"}
    with traces.read_session() as session:
        number = session.execute(
            select(assessments.c.aggregate_value).where(
                assessments.c.assessment_id == override["assessment_id"]
            )
        ).scalar()
    assert number == 1.0
    refused(
        INVALID_PARAMETER_VALUE,
        traces.update_assessment,
        tid,
        override["assessment_id"],
        {"expectation": {"value": 1}},
        ["expectation"],
    )
    traces.delete_assessment(tid, override["assessment_id"])
    assert traces.get_assessment(tid, first["assessment_id"])["valid"] is True
    refused(RESOURCE_DOES_NOT_EXIST, traces.get_assessment, tid, override["assessment_id"])
    refused(RESOURCE_DOES_NOT_EXIST, traces.get_assessment, "tr-none", "a-none")

    def found(filter_string: str) -> list[str]:
        infos, _ = traces.search_traces_v3([experiment_id], filter_string)
        return [info["trace_id"] for info in infos if info["trace_id"] == tid]

    # The overriding assessment is gone, so the first (true) is valid again.
    assert found("feedback.good = 'true'") == [tid]
    assert found("feedback.good = 'yes'") == []
    assert found("feedback.good != 'true'") == []


def test_deleting_a_trace_deletes_its_spans_and_assessments(
    traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    tid = "tr-" + trace.hex()
    traces.log_spans(experiment_id, _root_and_child(trace))
    traces.create_assessment({"trace_id": tid, "assessment_name": "x", "expectation": {"value": 1}})
    assert traces.delete_traces(experiment_id, request_ids=[tid]) == 1
    with traces.read_session() as session:
        left = [
            session.execute(select(func.count()).where(table.c.trace_id == tid)).scalar()
            for table in (spans, assessments)
        ]
    assert left == [0, 0]
    refused(RESOURCE_DOES_NOT_EXIST, traces.get_trace, tid)


def test_tokens_and_costs_count_every_stored_span_once(
    traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    """Children arrive one batch each; a parent reporting usage already counts its children."""
    tid = "tr-" + trace.hex()
    cost = {"input_cost": 0.5, "output_cost": 0.25, "total_cost": 0.75}
    priced = _attribute("mlflow.llm.cost", AnyValue(string_value=json.dumps(cost)))
    model = _attribute("mlflow.llm.model", AnyValue(string_value="m" * 600))
    first = _span(CHILD, ROOT, "a", 2, 3, trace=trace, attributes=[_usage(3), priced, model])
    second = _span(bytes([3] * 8), ROOT, "b", 4, 5, trace=trace, attributes=[_usage(4)])
    rollup = _span(bytes([4] * 8), CHILD, "c", 2, 3, trace=trace, attributes=[_usage(100)])
    for batch in ([first], [second], [rollup], [_span(ROOT, None, "root", 1, 6, trace=trace)]):
        traces.log_spans(
            experiment_id, read_export_request(_request(*batch), "application/x-protobuf")
        )
    with traces.read_session() as session:
        row = session.execute(select(trace_info).where(trace_info.c.request_id == tid)).one()
        span = session.execute(
            select(spans).where(spans.c.trace_id == tid, spans.c.span_id == CHILD.hex())
        ).one()
    assert (row.input_tokens, row.output_tokens, row.total_tokens) == (7, 2, 9)
    assert (row.input_cost, row.total_cost, row.db_payload_generation) == (0.5, 0.75, 4)
    assert (span.total_cost, span.model_name) == (0.75, "m" * 500)


def test_batch_reads_keep_the_asked_order_and_scope(
    store: TrackingStore, traces: TraceStoreV3, trace: bytes, experiment_id: str
) -> None:
    tid = "tr-" + trace.hex()
    traces.log_spans(experiment_id, _root_and_child(trace))
    other = store.create_experiment(f"batch-{trace.hex()}")
    asked = [tid, "tr-missing"]
    got = traces.batch_get_traces(asked)
    assert [(t["trace_info"]["trace_id"], len(t["spans"])) for t in got] == [(tid, 2)]
    assert [i["trace_id"] for i in traces.batch_get_trace_infos(asked, [experiment_id])] == [tid]
    assert traces.batch_get_trace_infos(asked, [other]) == []


def test_gc_of_a_deleted_experiment_takes_its_spans_and_assessments(
    store: TrackingStore, traces: TraceStoreV3, trace: bytes
) -> None:
    """spans' key to experiments does not cascade: gc must delete the spans itself."""
    tid = "tr-" + trace.hex()
    doomed = store.create_experiment(f"gc-{trace.hex()}")
    traces.log_spans(doomed, _root_and_child(trace))
    traces.create_assessment({"trace_id": tid, "assessment_name": "x", "feedback": {"value": 1}})
    store.delete_experiment(doomed)
    collector = GarbageCollector(store.engine)
    collector.collect(collector.plan(experiment_ids=[doomed]), lambda line: None)
    with traces.read_session() as session:
        left = [
            session.execute(select(func.count()).where(table.c.trace_id == tid)).scalar()
            for table in (spans, assessments)
        ]
    assert left == [0, 0]
