"""Trace infos in MLflow 3's shape (the V3 `TraceInfo` message), read from the head columns.

trace_info keeps the trace's name, session and token counts and costs in columns that MLflow
3.18 promotes out of the tags and metadata; a reader gets them back where the client expects
them: the name as the `mlflow.traceName` tag, the rest as metadata entries.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

TRACE_NAME_TAG = "mlflow.traceName"
SESSION_METADATA = "mlflow.trace.session"
TOKEN_USAGE_METADATA = "mlflow.trace.tokenUsage"
COST_METADATA = "mlflow.trace.cost"
FINALIZED_METADATA = "mlflow.trace.infoFinalized"
SPANS_LOCATION_TAG = "mlflow.trace.spansLocation"
SPANS_IN_TRACKING_STORE = "TRACKING_STORE"
PROMOTED_METADATA = frozenset({SESSION_METADATA, TOKEN_USAGE_METADATA, COST_METADATA})
TOKEN_COLUMNS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation_input_tokens": "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr": "cache_creation_input_tokens_above_1hr",
}
COST_COLUMNS = {
    "input_cost": "input_cost",
    "output_cost": "output_cost",
    "total_cost": "total_cost",
}


def columns_from_metadata(metadata: dict[str, str]) -> dict[str, Any]:
    """The trace_info columns the promoted metadata entries fill (only those given)."""
    columns: dict[str, Any] = {}
    if SESSION_METADATA in metadata:
        columns["session_id"] = metadata[SESSION_METADATA]
    for key, names, convert in (
        (TOKEN_USAGE_METADATA, TOKEN_COLUMNS, token_count),
        (COST_METADATA, COST_COLUMNS, finite_number),
    ):
        if key in metadata:
            document = json_object(metadata[key])
            columns.update({names[k]: convert(document[k]) for k in names if k in document})
    return columns


def split_promoted(metadata: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The trace_info columns the promoted entries fill, and the entries kept as rows."""
    kept = {key: value for key, value in metadata.items() if key not in PROMOTED_METADATA}
    return columns_from_metadata(dict(metadata)), kept


def metadata_from_columns(row: Row[Any]) -> dict[str, str]:
    """The promoted metadata entries, rebuilt from trace_info's columns as MLflow renders them."""
    metadata: dict[str, str] = {}
    if row.session_id is not None:
        metadata[SESSION_METADATA] = row.session_id
    usage = {k: int(v) for k, c in TOKEN_COLUMNS.items() if (v := getattr(row, c)) is not None}
    if usage:
        metadata[TOKEN_USAGE_METADATA] = json.dumps(usage)
    cost = {k: v for k, c in COST_COLUMNS.items() if (v := getattr(row, c)) is not None}
    if cost:
        metadata[COST_METADATA] = json.dumps(cost)
    return metadata


def json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def token_count(value: Any) -> int | None:
    """A whole number of tokens, None for anything else (as MLflow drops it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if -(2**63) <= value < 2**63 else None


def finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number not in (float("inf"), float("-inf")) and number == number else None


def timestamp_json(ms: int) -> str:
    """Milliseconds since the epoch as protobuf's JSON Timestamp (RFC 3339, UTC)."""
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = ms % 1000
    return f"{moment}.{fraction:03d}Z" if fraction else f"{moment}Z"


def duration_json(ms: int) -> str:
    """Milliseconds as protobuf's JSON Duration ("1.300s", "2s")."""
    seconds, fraction = divmod(ms, 1000)
    return f"{seconds}.{fraction:03d}s" if fraction else f"{seconds}s"


def trace_info_json(
    row: Row[Any],
    tags: dict[str, str | None],
    metadata: dict[str, str | None],
    assessments: list[dict[str, Any]],
) -> dict[str, Any]:
    """One trace_info row with its tags, metadata and assessments as the V3 message's JSON."""
    all_tags = dict(tags)
    if row.trace_name is not None:
        all_tags[TRACE_NAME_TAG] = row.trace_name
    info: dict[str, Any] = {
        "trace_id": row.request_id,
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": str(row.experiment_id)},
        },
        "request_time": timestamp_json(row.timestamp_ms),
        "state": row.status,
        "trace_metadata": {**metadata, **metadata_from_columns(row)},
        "assessments": assessments,
        "tags": all_tags,
    }
    if row.execution_time_ms is not None:
        info["execution_duration"] = duration_json(row.execution_time_ms)
    if row.client_request_id is not None:
        info["client_request_id"] = row.client_request_id
    if row.request_preview is not None:
        info["request_preview"] = row.request_preview
    if row.response_preview is not None:
        info["response_preview"] = row.response_preview
    return info


def parse_timestamp(text: str | None) -> int | None:
    """protobuf's JSON Timestamp as milliseconds since the epoch."""
    if not text:
        return None
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def parse_duration(text: str | None) -> int | None:
    """protobuf's JSON Duration ("1.3s") as milliseconds."""
    if not text:
        return None
    return round(float(text.rstrip("s")) * 1000)
