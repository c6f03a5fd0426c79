"""The head tables' rows for what the file store's meta.yaml files say.

Older layouts lack fields newer ones have; each gets the value MLflow's own SQL store would
hold for it. The file store keeps run status and source type as numbers, the database as
names. Where the file store keeps no id (a run's outputs), one is derived from what the entry
links, so that a second import finds the same row.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from store.logged_models.entities import status_number
from store.models.base import DEFAULT_WORKSPACE
from store.traces.v3 import (
    COST_COLUMNS,
    PROMOTED_METADATA,
    TOKEN_COLUMNS,
    TRACE_NAME_TAG,
    columns_from_metadata,
)
from store.traces.v3 import parse_timestamp as parse_iso_timestamp

Row = dict[str, Any]
RUN_STATUSES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
SOURCE_TYPES = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 1000: "UNKNOWN"}
RUN_NAME_TAG = "mlflow.runName"
# trace_info's columns filled from promoted metadata, None where a trace has no such entry.
ANALYTICS_COLUMNS = dict.fromkeys(("session_id", *TOKEN_COLUMNS.values(), *COST_COLUMNS.values()))


def experiment_row(meta: Mapping[str, Any], experiment_id: int, deleted: bool) -> Row:
    return {
        "experiment_id": experiment_id,
        "name": str(meta.get("name", f"experiment_{experiment_id}")),
        "artifact_location": meta.get("artifact_location"),
        "lifecycle_stage": meta.get("lifecycle_stage") or ("deleted" if deleted else "active"),
        "creation_time": meta.get("creation_time"),
        "last_update_time": meta.get("last_update_time"),
        "workspace": DEFAULT_WORKSPACE,
    }


def run_id(meta: Mapping[str, Any], folder_name: str) -> str:
    return str(meta.get("run_uuid") or meta.get("run_id") or folder_name)


def run_row(meta: Mapping[str, Any], tags: Mapping[str, str], experiment_id: int) -> Row:
    """A run; before 2.0 its name lived only in the mlflow.runName tag."""
    status = meta.get("status", 1)
    source_type = meta.get("source_type", 4)
    return {
        "run_uuid": run_id(meta, ""),
        "name": meta.get("run_name") or tags.get(RUN_NAME_TAG) or meta.get("name") or None,
        "source_type": SOURCE_TYPES.get(source_type, "LOCAL")
        if isinstance(source_type, int)
        else str(source_type),
        "source_name": meta.get("source_name", ""),
        "entry_point_name": meta.get("entry_point_name", ""),
        "user_id": meta.get("user_id"),
        "status": RUN_STATUSES.get(status, "RUNNING") if isinstance(status, int) else str(status),
        "start_time": meta.get("start_time"),
        "end_time": meta.get("end_time"),
        "source_version": meta.get("source_version", ""),
        "lifecycle_stage": meta.get("lifecycle_stage") or "active",
        "artifact_uri": meta.get("artifact_uri"),
        "experiment_id": experiment_id,
        "deleted_time": meta.get("deleted_time"),
    }


def dataset_row(meta: Mapping[str, Any], dataset_uuid: str, experiment_id: int) -> Row:
    return {
        "dataset_uuid": dataset_uuid,
        "experiment_id": experiment_id,
        "name": meta.get("name", ""),
        "digest": meta.get("digest", ""),
        "dataset_source_type": meta.get("source_type", ""),
        "dataset_source": meta.get("source", ""),
        "dataset_schema": meta.get("schema"),
        "dataset_profile": meta.get("profile"),
    }


def input_row(
    input_uuid: str, source: tuple[str, str], destination: tuple[str, str], step: int = 0
) -> Row:
    return {
        "input_uuid": input_uuid,
        "source_type": source[0],
        "source_id": source[1],
        "destination_type": destination[0],
        "destination_id": destination[1],
        "step": step,
    }


def derived_id(*parts: str) -> str:
    """A stable 32-character id for an entry the file store names no id for."""
    return hashlib.md5("\0".join(parts).encode(), usedforsecurity=False).hexdigest()


def logged_model_row(meta: Mapping[str, Any], model_id: str, experiment_id: int) -> Row:
    status = meta.get("status", 1)
    return {
        "model_id": model_id,
        "experiment_id": experiment_id,
        "name": meta.get("name", ""),
        "artifact_location": meta.get("artifact_location", ""),
        "creation_timestamp_ms": meta.get("creation_timestamp", 0),
        "last_updated_timestamp_ms": meta.get("last_updated_timestamp", 0),
        "status": status_number(status),
        "lifecycle_stage": meta.get("lifecycle_stage") or "active",
        "model_type": meta.get("model_type"),
        "source_run_id": meta.get("source_run_id"),
        "status_message": meta.get("status_message"),
    }


def trace_rows(
    meta: Mapping[str, Any],
    trace_id: str,
    experiment_id: int,
    tags: dict[str, str],
    metadata: dict[str, str],
) -> Row:
    """A trace_info row, as MLflow 2's (request_id, timestamp_ms) or 3's (trace_id,
    request_time) trace_info.yaml gives it. Takes the trace's name out of `tags` and the
    entries trace_info has columns for out of `metadata`."""
    name = tags.pop(TRACE_NAME_TAG, None)
    columns = columns_from_metadata(metadata)
    for key in PROMOTED_METADATA:
        metadata.pop(key, None)
    return {
        "request_id": trace_id,
        "experiment_id": experiment_id,
        "timestamp_ms": _trace_timestamp(meta),
        "execution_time_ms": meta.get("execution_time_ms") or meta.get("execution_duration_ms"),
        "status": meta.get("status") or meta.get("state") or "OK",
        "client_request_id": meta.get("client_request_id"),
        "request_preview": meta.get("request_preview"),
        "response_preview": meta.get("response_preview"),
        "trace_name": name,
        **ANALYTICS_COLUMNS,
        **columns,
    }


def _trace_timestamp(meta: Mapping[str, Any]) -> int:
    if meta.get("timestamp_ms") is not None:
        return int(meta["timestamp_ms"])
    request_time = meta.get("request_time")
    if isinstance(request_time, int):
        return request_time
    return (parse_iso_timestamp(request_time) or 0) if isinstance(request_time, str) else 0


def registered_model_row(meta: Mapping[str, Any], name: str) -> Row:
    return {
        "name": name,
        "creation_time": meta.get("creation_timestamp"),
        "last_updated_time": meta.get("last_updated_timestamp"),
        "description": meta.get("description"),
        "workspace": DEFAULT_WORKSPACE,
    }


def model_version_row(meta: Mapping[str, Any], name: str) -> Row:
    return {
        "name": name,
        "version": int(meta["version"]),
        "creation_time": meta.get("creation_timestamp"),
        "last_updated_time": meta.get("last_updated_timestamp"),
        "description": meta.get("description"),
        "user_id": meta.get("user_id"),
        "current_stage": meta.get("current_stage") or "None",
        "source": meta.get("source"),
        "run_id": meta.get("run_id"),
        "status": meta.get("status") or "READY",
        "status_message": meta.get("status_message"),
        "run_link": meta.get("run_link"),
        "storage_location": meta.get("storage_location"),
        "workspace": DEFAULT_WORKSPACE,
    }
