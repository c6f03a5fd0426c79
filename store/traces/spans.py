"""Spans: written as the OTLP endpoint receives them, read back for `get_trace`.

Spans arrive before the trace does (each as it ends; the trace info after the root span), so
the first span of a trace creates its trace_info row IN_PROGRESS with what the spans tell:
start, duration, the root span's status, token counts. The trace info the client sends last
(`start_trace`) has the final word, marked by the `mlflow.trace.infoFinalized` metadata entry;
spans arriving after it only fill what it left empty.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.errors import StoreError
from store.common.tables import spans, trace_info, trace_request_metadata, trace_tags
from store.traces.otlp import ReceivedSpan, any_value
from store.traces.v3 import (
    COST_COLUMNS,
    FINALIZED_METADATA,
    SPANS_IN_TRACKING_STORE,
    SPANS_LOCATION_TAG,
    TOKEN_COLUMNS,
    finite_number,
    token_count,
)

SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"
TOKEN_USAGE_ATTRIBUTE = "mlflow.chat.tokenUsage"
COST_ATTRIBUTE = "mlflow.llm.cost"
MODEL_ATTRIBUTE = "mlflow.llm.model"
PROVIDER_ATTRIBUTE = "mlflow.llm.provider"
MODEL_LABEL_CHARS = 500
BASE_TOKENS = ("input_tokens", "output_tokens", "total_tokens")
CACHE_TOKENS = tuple(key for key in TOKEN_COLUMNS if key not in BASE_TOKENS)
SESSION_ATTRIBUTES = ("session.id", "gen_ai.conversation.id")
PREVIEW_CHARS = 1000


@dataclass
class TraceSummary:
    """What one batch of spans says about their trace."""

    start_ms: int
    end_ms: int | None
    root_status: str | None
    tokens: dict[str, int] = field(default_factory=dict)
    costs: dict[str, float] = field(default_factory=dict)
    session_id: str | None = None
    root: ReceivedSpan | None = None


def summarize(received: Sequence[ReceivedSpan]) -> TraceSummary:
    ends = [s.end_time_unix_nano for s in received if s.end_time_unix_nano is not None]
    root = next((s for s in received if s.parent_span_id is None), None)
    summary = TraceSummary(
        start_ms=min(s.start_time_unix_nano for s in received) // 1_000_000,
        end_ms=max(ends) // 1_000_000 if ends else None,
        root_status=None if root is None else ("ERROR" if root.status == "ERROR" else "OK"),
        tokens=_token_usage(received),
        costs=_cost(received),
        root=root,
    )
    for span in received:
        for key in SESSION_ATTRIBUTES:
            value = span.attribute(key)
            if summary.session_id is None and value:
                summary.session_id = str(value)
    return summary


def _aggregate(
    received: Sequence[ReceivedSpan],
    attribute: str,
    keys: Sequence[str],
    optional: Sequence[str],
    number: Callable[[Any], float | int | None],
) -> dict[str, Any]:
    """`keys` (and those of `optional` that appear) summed over the spans whose `attribute`
    object reports them, skipping a span whose ancestor reports too: a parent that reports
    already counts its children. Empty when no span reports."""
    by_id = {s.span_id: s for s in received}
    reporting = {s.span_id for s in received if isinstance(s.attribute(attribute), dict)}
    if not reporting:
        return {}
    totals: dict[str, Any] = dict.fromkeys(keys, 0)
    for span_id in reporting:
        if _has_reporting_ancestor(by_id, reporting, span_id):
            continue
        for key, value in by_id[span_id].attribute(attribute).items():
            amount = number(value)
            if (key in keys or key in optional) and amount is not None:
                totals[key] = totals.get(key, 0) + amount
    return totals


def _has_reporting_ancestor(
    by_id: dict[str, ReceivedSpan], reporting: set[str], span_id: str
) -> bool:
    parent = by_id[span_id].parent_span_id
    while parent is not None and parent in by_id:
        if parent in reporting:
            return True
        parent = by_id[parent].parent_span_id
    return False


def _token_usage(received: Sequence[ReceivedSpan]) -> dict[str, int]:
    return _aggregate(received, TOKEN_USAGE_ATTRIBUTE, BASE_TOKENS, CACHE_TOKENS, token_count)


def _cost(received: Sequence[ReceivedSpan]) -> dict[str, float]:
    costs = _aggregate(received, COST_ATTRIBUTE, tuple(COST_COLUMNS), (), finite_number)
    return {key: float(value) for key, value in costs.items()}


def preview(raw: str | None) -> str | None:
    """A JSON attribute cut to the preview column's length."""
    if raw is None:
        return None
    return raw if len(raw) <= PREVIEW_CHARS else raw[: PREVIEW_CHARS - 3] + "..."


def span_row(span: ReceivedSpan, experiment_id: int, ensure_ascii: bool) -> dict[str, Any]:
    cost = span.attribute(COST_ATTRIBUTE)
    cost = cost if isinstance(cost, dict) else {}
    return {
        **{key: finite_number(cost.get(key)) for key in COST_COLUMNS},
        "model_name": _label(span.attribute(MODEL_ATTRIBUTE)),
        "model_provider": _label(span.attribute(PROVIDER_ATTRIBUTE)),
        "trace_id": span.trace_id,
        "experiment_id": experiment_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "name": span.name,
        "type": span.span_type,
        "status": span.status,
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano,
        "content": json.dumps(span.content, ensure_ascii=ensure_ascii),
    }


def _label(value: Any) -> str | None:
    return value[:MODEL_LABEL_CHARS] if isinstance(value, str) else None


def write_spans(
    session: Session,
    experiment_id: int,
    artifact_tag: dict[str, str],
    received: Sequence[ReceivedSpan],
    ensure_ascii: bool,
) -> None:
    """Store spans (a span sent again replaces its row) and create or update their traces."""
    by_trace: dict[str, list[ReceivedSpan]] = defaultdict(list)
    for span in received:
        by_trace[span.trace_id].append(span)
    for trace_id, trace_spans in sorted(by_trace.items()):
        row = _locked_trace(session, trace_id)
        summary = summarize(trace_spans)
        if row is None:
            _create_trace(session, trace_id, experiment_id, summary, artifact_tag[trace_id])
        elif row.experiment_id != experiment_id:
            raise StoreError(f"Trace with ID '{trace_id}' already exists in another experiment.")
        upsert(
            session.connection(),
            spans,
            [span_row(s, experiment_id, ensure_ascii) for s in trace_spans],
            ("trace_id", "span_id"),
        )
        if row is not None:
            stored = stored_spans(session, trace_id)
            summary.tokens, summary.costs = _token_usage(stored), _cost(stored)
            _update_trace(session, row, summary)


def stored_spans(session: Session, trace_id: str) -> list[ReceivedSpan]:
    """A trace's stored spans, to count its tokens and costs over all of them."""
    rows = session.execute(select(spans).where(spans.c.trace_id == trace_id))
    return [
        ReceivedSpan(
            trace_id=row.trace_id,
            span_id=row.span_id,
            parent_span_id=row.parent_span_id,
            name=row.name,
            span_type=row.type,
            status=row.status,
            start_time_unix_nano=row.start_time_unix_nano,
            end_time_unix_nano=row.end_time_unix_nano,
            content=json.loads(row.content),
        )
        for row in rows
    ]


def _locked_trace(session: Session, trace_id: str) -> Row[Any] | None:
    stmt = select(trace_info).where(trace_info.c.request_id == trace_id).with_for_update()
    return session.execute(stmt).first()


def _create_trace(
    session: Session, trace_id: str, experiment_id: int, summary: TraceSummary, location: str
) -> None:
    values: dict[str, Any] = {
        "request_id": trace_id,
        "experiment_id": experiment_id,
        "timestamp_ms": summary.start_ms,
        "execution_time_ms": None if summary.end_ms is None else summary.end_ms - summary.start_ms,
        "status": summary.root_status or "IN_PROGRESS",
        "db_payload_generation": 1,
        "session_id": summary.session_id,
        **{TOKEN_COLUMNS[k]: v for k, v in summary.tokens.items()},
        **summary.costs,
        **_previews(summary, None),
    }
    session.execute(insert(trace_info).values(**values))
    tags = {"mlflow.artifactLocation": location, SPANS_LOCATION_TAG: SPANS_IN_TRACKING_STORE}
    upsert(
        session.connection(),
        trace_tags,
        [{"request_id": trace_id, "key": k, "value": v} for k, v in tags.items()],
        ("request_id", "key"),
    )


def _previews(summary: TraceSummary, row: Row[Any] | None) -> dict[str, Any]:
    if summary.root is None:
        return {}
    found = {}
    if row is None or row.request_preview is None:
        found["request_preview"] = preview(summary.root.attributes.get(SPAN_INPUTS))
    if row is None or row.response_preview is None:
        found["response_preview"] = preview(summary.root.attributes.get(SPAN_OUTPUTS))
    return {k: v for k, v in found.items() if v is not None}


def _update_trace(session: Session, row: Row[Any], summary: TraceSummary) -> None:
    """Spans of a trace that exists: before its final info, widen its time span, take the
    root's status and count tokens and costs over all its spans; after it, only fill the
    counts and session it left empty."""
    finalized = session.execute(
        select(trace_request_metadata.c.value).where(
            trace_request_metadata.c.request_id == row.request_id,
            trace_request_metadata.c.key == FINALIZED_METADATA,
        )
    ).first()
    values: dict[str, Any] = {"db_payload_generation": row.db_payload_generation + 1}
    if finalized is None:
        start = min(row.timestamp_ms, summary.start_ms)
        old_end = (
            None if row.execution_time_ms is None else row.timestamp_ms + row.execution_time_ms
        )
        ends = [e for e in (old_end, summary.end_ms) if e is not None]
        values.update(
            timestamp_ms=start,
            execution_time_ms=max(ends) - start if ends else None,
            **_previews(summary, row),
        )
        if summary.root_status is not None:
            values["status"] = summary.root_status
    if finalized is None or all(getattr(row, c) is None for c in TOKEN_COLUMNS.values()):
        values.update({TOKEN_COLUMNS[k]: v for k, v in summary.tokens.items()})
    if finalized is None or all(getattr(row, c) is None for c in COST_COLUMNS.values()):
        values.update(summary.costs)
    if row.session_id is None and summary.session_id is not None:
        values["session_id"] = summary.session_id
    session.execute(
        update(trace_info).where(trace_info.c.request_id == row.request_id).values(**values)
    )


def spans_json(session: Session, trace_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each trace's spans as OTLP Span messages in protobuf's JSON, by start time."""
    found: dict[str, list[dict[str, Any]]] = {trace_id: [] for trace_id in trace_ids}
    if not trace_ids:
        return found
    rows = session.execute(
        select(spans.c.trace_id, spans.c.content)
        .where(spans.c.trace_id.in_(list(trace_ids)))
        .order_by(spans.c.trace_id, spans.c.start_time_unix_nano, spans.c.span_id)
    )
    for trace_id, content in rows.tuples():
        found[trace_id].append(otlp_json(json.loads(content)))
    return found


def otlp_json(content: dict[str, Any]) -> dict[str, Any]:
    """A stored span document as the OTLP Span message: attributes decoded into AnyValues."""
    message: dict[str, Any] = {
        "trace_id": content["trace_id"],
        "span_id": content["span_id"],
        "name": content["name"],
        "kind": content.get("kind", "SPAN_KIND_INTERNAL"),
        "start_time_unix_nano": content["start_time_unix_nano"],
        "attributes": [
            {"key": key, "value": any_value(_decoded(raw))}
            for key, raw in content.get("attributes", {}).items()
        ],
        "status": {
            k: v for k, v in (content.get("status") or {}).items() if v and v != "STATUS_CODE_UNSET"
        },
    }
    if content.get("parent_span_id"):
        message["parent_span_id"] = content["parent_span_id"]
    if content.get("end_time_unix_nano") is not None:
        message["end_time_unix_nano"] = content["end_time_unix_nano"]
    if content.get("events"):
        message["events"] = [
            {
                "name": event["name"],
                "time_unix_nano": event["time_unix_nano"],
                "attributes": [
                    {"key": k, "value": any_value(v)}
                    for k, v in event.get("attributes", {}).items()
                ],
            }
            for event in content["events"]
        ]
    return message


def _decoded(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
