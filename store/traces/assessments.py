"""Assessments of traces (feedback and expectations): rows from the client's `Assessment`
message, and that message's JSON from rows, as MLflow 3.18 keeps them.

The value is stored as JSON text; beside it MLflow keeps a number for analytics (booleans and
yes/no as 1 or 0, finite numbers as themselves) and copies of the trace's experiment and time.
"""

import json
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from store.common.errors import StoreError, not_found
from store.common.tables import assessments, trace_info
from store.traces.v3 import parse_timestamp, timestamp_json

FEEDBACK = "feedback"
EXPECTATION = "expectation"
ASSESSMENT_ID_PREFIX = "a-"
# What updating an assessment with the other kind's value answers, by the value sent.
_WRONG_KIND = {
    FEEDBACK: "Cannot update feedback value on an Expectation assessment.",
    EXPECTATION: "Cannot update expectation value on a Feedback assessment.",
}


def new_assessment_id() -> str:
    return ASSESSMENT_ID_PREFIX + uuid.uuid4().hex


def now_ms() -> int:
    return int(time.time() * 1000)


def aggregate(value: Any) -> tuple[float | None, bool]:
    """The number analytics read for a value, and whether the value itself was a number."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), False
    if isinstance(value, int | float):
        number = float(value)
        return (number, True) if math.isfinite(number) else (None, False)
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return (1.0 if value.strip().lower() == "yes" else 0.0), False
    return None, False


def value_of(message: Mapping[str, Any]) -> tuple[str, Any, str | None]:
    """(type, value, error JSON) of an Assessment message; one of feedback or expectation."""
    if "feedback" in message:
        feedback = message["feedback"] or {}
        error = feedback.get("error")
        return FEEDBACK, feedback.get("value"), json.dumps(error) if error else None
    if "expectation" in message:
        return EXPECTATION, expectation_value(message["expectation"] or {}), None
    raise StoreError("Assessment must have either feedback, expectation, or issue value")


def expectation_value(expectation: Mapping[str, Any]) -> Any:
    serialized = expectation.get("serialized_value")
    if serialized:
        return json.loads(serialized.get("value") or "null")
    return expectation.get("value")


def row_from_message(
    message: Mapping[str, Any], trace: Row[Any], assessment_id: str | None = None
) -> dict[str, Any]:
    """The assessments row for a new assessment of `trace` (a trace_info row)."""
    kind, value, error = value_of(message)
    source = message.get("source") or {}
    number, is_number = aggregate(value)
    now = now_ms()
    metadata = message.get("metadata")
    return {
        "assessment_id": assessment_id or message.get("assessment_id") or new_assessment_id(),
        "trace_id": trace.request_id,
        "name": message.get("assessment_name"),
        "assessment_type": kind,
        "value": json.dumps(value),
        "error": error,
        "created_timestamp": parse_timestamp(message.get("create_time")) or now,
        "last_updated_timestamp": parse_timestamp(message.get("last_update_time")) or now,
        "source_type": source.get("source_type") or "SOURCE_TYPE_UNSPECIFIED",
        "source_id": source.get("source_id"),
        "run_id": message.get("run_id") or None,
        "span_id": message.get("span_id") or None,
        "rationale": message.get("rationale"),
        "overrides": message.get("overrides") or None,
        "valid": True,
        "assessment_metadata": json.dumps(metadata) if metadata else None,
        "experiment_id": trace.experiment_id,
        "trace_timestamp_ms": trace.timestamp_ms,
        "aggregate_value": number,
        "is_numeric_value": is_number,
    }


def assessment_json(row: Row[Any]) -> dict[str, Any]:
    """An assessments row as the Assessment message's JSON."""
    value = json.loads(row.value) if row.value is not None else None
    message: dict[str, Any] = {
        "assessment_id": row.assessment_id,
        "assessment_name": row.name,
        "trace_id": row.trace_id,
        "source": {
            key: item
            for key, item in (("source_type", row.source_type), ("source_id", row.source_id))
            if item is not None
        },
        "create_time": timestamp_json(row.created_timestamp),
        "last_update_time": timestamp_json(row.last_updated_timestamp),
    }
    if row.assessment_type == FEEDBACK:
        feedback: dict[str, Any] = {"value": value}
        if row.error:
            feedback["error"] = json.loads(row.error)
        message["feedback"] = feedback
    else:
        message["expectation"] = _expectation_json(value)
    for key, item in (
        ("rationale", row.rationale),
        ("span_id", row.span_id),
        ("run_id", row.run_id),
        ("overrides", row.overrides),
    ):
        if item is not None:
            message[key] = item
    if row.assessment_metadata:
        message["metadata"] = json.loads(row.assessment_metadata)
    message["valid"] = bool(row.valid)
    return message


def _expectation_json(value: Any) -> dict[str, Any]:
    """Scalars travel as a protobuf Value; objects and lists as JSON text, as MLflow sends."""
    if isinstance(value, dict | list):
        return {
            "serialized_value": {"serialization_format": "JSON_FORMAT", "value": json.dumps(value)}
        }
    return {"value": value}


def assessments_of(session: Session, trace_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The assessments of each trace as JSON, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {trace_id: [] for trace_id in trace_ids}
    if not trace_ids:
        return found
    rows = session.execute(
        select(assessments)
        .where(assessments.c.trace_id.in_(list(trace_ids)))
        .order_by(assessments.c.created_timestamp, assessments.c.assessment_id)
    )
    for row in rows:
        found[row.trace_id].append(assessment_json(row))
    return found


def insert_rows(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    for row in rows:
        if row["overrides"]:
            _invalidate(session, row["trace_id"], row["overrides"])
        session.execute(insert(assessments).values(**row))


def _invalidate(session: Session, trace_id: str, assessment_id: str) -> None:
    done = session.execute(
        update(assessments)
        .where(assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id)
        .values(valid=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise not_found(f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'")


def find(session: Session, trace_id: str, assessment_id: str) -> Row[Any]:
    row = session.execute(
        select(assessments).where(
            assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id
        )
    ).first()
    if row is not None:
        return row
    if (
        session.execute(
            select(trace_info.c.request_id).where(trace_info.c.request_id == trace_id)
        ).first()
        is None
    ):
        raise not_found(f"Trace with request_id '{trace_id}' not found")
    raise not_found(f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'")


def update_row(
    session: Session,
    trace_id: str,
    assessment_id: str,
    changes: Mapping[str, Any],
    paths: Sequence[str],
) -> Row[Any]:
    """Apply the masked fields of `changes` (an Assessment message); source, span and
    creation time stay; metadata merges over what was there."""
    row = find(session, trace_id, assessment_id)
    values: dict[str, Any] = {"last_updated_timestamp": now_ms()}
    if "assessment_name" in paths:
        values["name"] = changes.get("assessment_name")
    kind = row.assessment_type
    if "feedback" in paths or "expectation" in paths:
        new_kind, value, error = value_of(changes)
        if new_kind != kind:
            raise StoreError(_WRONG_KIND[new_kind])
        number, is_number = aggregate(value)
        values.update(
            value=json.dumps(value), error=error, aggregate_value=number, is_numeric_value=is_number
        )
    if "rationale" in paths and kind == FEEDBACK:
        values["rationale"] = changes.get("rationale")
    if "metadata" in paths:
        merged = json.loads(row.assessment_metadata) if row.assessment_metadata else {}
        merged.update(changes.get("metadata") or {})
        values["assessment_metadata"] = json.dumps(merged) if merged else None
    session.execute(
        update(assessments)
        .where(assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id)
        .values(**values)
    )
    return find(session, trace_id, assessment_id)


def delete_row(session: Session, trace_id: str, assessment_id: str) -> None:
    """Delete an assessment (none: nothing to do); the one it overrode is valid again."""
    row = session.execute(
        select(assessments).where(
            assessments.c.trace_id == trace_id, assessments.c.assessment_id == assessment_id
        )
    ).first()
    if row is None:
        return
    if row.overrides:
        session.execute(
            update(assessments)
            .where(assessments.c.assessment_id == row.overrides)
            .values(valid=True)
        )
    session.execute(delete(assessments).where(assessments.c.assessment_id == assessment_id))
