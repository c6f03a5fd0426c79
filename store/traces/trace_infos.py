"""Trace infos: start, end, read, tag, search and delete, as MLflow 3.1.4's tracking store does.

The spans themselves are artifacts; a trace's `mlflow.artifactLocation` tag says where, under
`<experiment artifact location>/traces/<request id>/artifacts`.
"""

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import StoreError, not_found
from store.common.lookups import load_page, pairs_by_owner
from store.common.paging import check_max_results, offset_from_token
from store.common.tables import (
    assessments,
    entity_associations,
    span_metrics,
    spans,
    trace_info,
    trace_metrics,
    trace_request_metadata,
    trace_tags,
)
from store.search import parse_filter, parse_order_by_list
from store.traces.assessments import (
    assessment_json,
    assessments_of,
    delete_row,
    insert_rows,
    new_assessment_id,
    row_from_message,
    update_row,
)
from store.traces.assessments import find as find_assessment
from store.traces.entities import IN_PROGRESS, STATUSES, TraceInfo
from store.traces.otlp import ReceivedSpan
from store.traces.search import TRACE_GRAMMAR, TRACE_V3_GRAMMAR, ordered_traces, trace_filter
from store.traces.spans import spans_json, write_spans
from store.traces.v3 import (
    FINALIZED_METADATA,
    PROMOTED_METADATA,
    TRACE_NAME_TAG,
    columns_from_metadata,
    parse_duration,
    parse_timestamp,
    trace_info_json,
)
from store.tracking import validation
from store.tracking.entities import ACTIVE, DELETED
from store.tracking.reading import (
    active_experiment,
    chunks,
    experiment_number,
    find_experiment,
)
from store.tracking.uris import append_path

ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
SEARCH_MAX_RESULTS_DEFAULT = 100
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000
MAX_TRACE_LINKS = 100


class TraceStore(SqlStore):
    def start_trace(
        self,
        experiment_id: str,
        timestamp_ms: int,
        request_metadata: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> TraceInfo:
        """Record a trace IN_PROGRESS in an active experiment, under a new request id."""
        request_id = uuid.uuid4().hex
        tags = dict(tags)
        trace_name = tags.pop(TRACE_NAME_TAG, None)
        with self.session() as session:
            experiment = active_experiment(session, experiment_id)
            session.execute(
                insert(trace_info).values(
                    request_id=request_id,
                    experiment_id=experiment.experiment_id,
                    timestamp_ms=timestamp_ms,
                    execution_time_ms=None,
                    status=IN_PROGRESS,
                    trace_name=trace_name,
                )
            )
            location = append_path(experiment.artifact_location, "traces", request_id, "artifacts")
            _put(session, trace_tags, request_id, {**tags, ARTIFACT_LOCATION_TAG: location})
            _put(session, trace_request_metadata, request_id, request_metadata)
            return _load(session, [_find(session, request_id)])[0]

    def end_trace(
        self,
        request_id: str,
        timestamp_ms: int,
        status: str,
        request_metadata: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> TraceInfo:
        """Record the end: execution time from the start, the status, and more metadata and
        tags (merged over what the trace has)."""
        if status not in STATUSES:
            raise StoreError(f"Invalid trace status {status!r}; use one of {', '.join(STATUSES)}.")
        tags = dict(tags)
        named = {"trace_name": tags.pop(TRACE_NAME_TAG)} if TRACE_NAME_TAG in tags else {}
        with self.session() as session:
            row = _find(session, request_id)
            session.execute(
                update(trace_info)
                .where(trace_info.c.request_id == request_id)
                .values(execution_time_ms=timestamp_ms - row.timestamp_ms, status=status, **named)
            )
            _put(session, trace_request_metadata, request_id, request_metadata)
            _put(session, trace_tags, request_id, tags)
            return _load(session, [_find(session, request_id)])[0]

    def get_trace_info(self, request_id: str) -> TraceInfo:
        with self.read_session() as session:
            return _load(session, [_find(session, request_id)])[0]

    def set_trace_tag(self, request_id: str, key: str, value: str | None) -> None:
        """Set a tag (a value over 8000 characters is cut while truncation is on)."""
        validation.check_name(key)
        validation.check_length(key, MAX_TAG_KEY_LENGTH, "key")
        value = validation.fitted(value, MAX_TAG_VALUE_LENGTH, "value")
        with self.session() as session:
            _find(session, request_id)
            if key == TRACE_NAME_TAG:
                _set_name(session, request_id, value)
            else:
                _put(session, trace_tags, request_id, {key: value})

    def delete_trace_tag(self, request_id: str, key: str) -> None:
        """Delete a tag; the trace name (a column at the head) is emptied."""
        with self.session() as session:
            row = _find(session, request_id)
            if key == TRACE_NAME_TAG and row.trace_name is not None:
                _set_name(session, request_id, None)
                return
            removed = session.connection().execute(
                delete(trace_tags).where(
                    trace_tags.c.request_id == request_id, trace_tags.c.key == key
                )
            )
            if not removed.rowcount:
                raise not_found(f"No trace tag with key '{key}' for trace with ID '{request_id}'")

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[TraceInfo], str | None]:
        """Traces of the experiments matching the filter, newest first unless ordered, with
        the token of the next page (None on the last)."""
        check_max_results(max_results)
        comparisons = parse_filter(filter_string, TRACE_GRAMMAR)
        orders = parse_order_by_list(order_by, TRACE_GRAMMAR)
        offset = offset_from_token(page_token)
        numbers = [n for n in map(experiment_number, experiment_ids) if n is not None]
        stmt = select(trace_info).where(
            trace_info.c.experiment_id.in_(numbers),
            *(trace_filter(comparison, self.dialect) for comparison in comparisons),
        )
        stmt, columns = ordered_traces(stmt, orders, self.dialect)
        with self.read_session() as session:
            page = load_page(session, stmt, columns, offset, max_results, _load)
        return page.items, page.next_page_token

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        request_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete an experiment's traces up to a start time (at most `max_traces`, oldest
        first) or by request id; returns how many were deleted."""
        _check_deletion(max_timestamp_millis, max_traces, request_ids)
        stmt = select(trace_info.c.request_id).where(
            trace_info.c.experiment_id == experiment_number(experiment_id)
        )
        if max_timestamp_millis:
            stmt = stmt.where(trace_info.c.timestamp_ms <= max_timestamp_millis)
        if request_ids:
            stmt = stmt.where(trace_info.c.request_id.in_(list(request_ids)))
        if max_traces:
            stmt = stmt.order_by(trace_info.c.timestamp_ms, trace_info.c.request_id)
            stmt = stmt.limit(max_traces)
        with self.session() as session:
            doomed: list[str] = list(session.execute(stmt).scalars())
            delete_trace_rows(session, doomed)
        return len(doomed)


def delete_trace_rows(session: Session, request_ids: Sequence[str]) -> None:
    """Delete traces with their tags, metadata, spans and assessments, a chunk of ids per
    statement (explicitly: SQLite enforces no ON DELETE CASCADE unless told to)."""
    for part in chunks(list(request_ids)):
        for child in (span_metrics, spans, assessments):
            session.execute(delete(child).where(child.c.trace_id.in_(part)))
        for table in (trace_metrics, trace_tags, trace_request_metadata, trace_info):
            session.execute(delete(table).where(table.c.request_id.in_(part)))


def _check_deletion(
    max_timestamp_millis: int | None, max_traces: int | None, request_ids: Sequence[str] | None
) -> None:
    if max_timestamp_millis is None and not request_ids:
        raise StoreError("Either `max_timestamp_millis` or `request_ids` must be specified.")
    if max_timestamp_millis and request_ids:
        raise StoreError("Only one of `max_timestamp_millis` and `request_ids` can be specified.")
    if request_ids and max_traces is not None:
        raise StoreError("`max_traces` can't be specified if `request_ids` is specified.")
    if max_traces is not None and max_traces <= 0:
        raise StoreError(f"`max_traces` must be a positive integer, received {max_traces}.")


def _find(session: Session, request_id: str) -> Row[Any]:
    row = session.execute(select(trace_info).where(trace_info.c.request_id == request_id)).first()
    if row is None:
        raise not_found(f"Trace with request_id '{request_id}' not found.")
    return row


def _with_name(tags: dict[str, str | None], name: str | None) -> dict[str, str | None]:
    return tags if name is None else {**tags, TRACE_NAME_TAG: name}


def _set_name(session: Session, request_id: str, name: str | None) -> None:
    session.execute(
        update(trace_info).where(trace_info.c.request_id == request_id).values(trace_name=name)
    )


def _put(session: Session, table: Table, request_id: str, pairs: Mapping[str, Any]) -> None:
    rows = [{"request_id": request_id, "key": k, "value": v} for k, v in pairs.items()]
    upsert(session.connection(), table, rows, ("request_id", "key"))


def _load(session: Session, rows: Sequence[Row[Any]]) -> list[TraceInfo]:
    """Entities for trace_info rows, with their tags and request metadata."""
    ids = [row.request_id for row in rows]
    tags = pairs_by_owner(session, trace_tags, "request_id", "key", "value", ids)
    metadata = pairs_by_owner(session, trace_request_metadata, "request_id", "key", "value", ids)
    return [
        TraceInfo(
            request_id=row.request_id,
            experiment_id=str(row.experiment_id),
            timestamp_ms=row.timestamp_ms,
            execution_time_ms=row.execution_time_ms,
            status=row.status,
            request_metadata=metadata[row.request_id],
            tags=_with_name(tags[row.request_id], row.trace_name),
        )
        for row in rows
    ]


class TraceStoreV3(TraceStore):
    """MLflow 3's trace calls: spans over OTLP, the trace info at the end, traces with their
    spans and assessments read back, searched and assessed."""

    def log_spans(self, experiment_id: str, received: Sequence[ReceivedSpan]) -> None:
        """Store spans of traces in an experiment (their trace infos made as needed). As in
        MLflow, the experiment must exist but may be deleted: spans of a trace in flight
        still land."""
        with self.session() as session:
            experiment = find_experiment(session, experiment_id, (ACTIVE, DELETED))
            locations = {
                span.trace_id: append_path(
                    experiment.artifact_location, "traces", span.trace_id, "artifacts"
                )
                for span in received
            }
            write_spans(
                session,
                experiment.experiment_id,
                locations,
                received,
                ensure_ascii=self.dialect.long_text_is_ascii,
            )

    def start_trace_v3(self, info: Mapping[str, Any]) -> dict[str, Any]:
        """Record the trace info the client sends when the trace ends (a `TraceInfo` message),
        over what its spans wrote; returns it as stored."""
        trace_id = info.get("trace_id") or ""
        if not trace_id:
            raise StoreError("A trace info needs a trace_id; send the trace's id.")
        experiment_id = ((info.get("trace_location") or {}).get("mlflow_experiment") or {}).get(
            "experiment_id", ""
        )
        tags = dict(info.get("tags") or {})
        trace_name = tags.pop(TRACE_NAME_TAG, None)
        metadata = dict(info.get("trace_metadata") or {})
        columns = columns_from_metadata(metadata)
        for key in PROMOTED_METADATA:
            metadata.pop(key, None)
        metadata[FINALIZED_METADATA] = "true"
        values: dict[str, Any] = {
            "timestamp_ms": parse_timestamp(info.get("request_time")) or 0,
            "execution_time_ms": parse_duration(info.get("execution_duration")),
            "status": info.get("state") or "STATE_UNSPECIFIED",
            "client_request_id": info.get("client_request_id"),
            **columns,
        }
        if trace_name is not None:
            values["trace_name"] = trace_name
        for key in ("request_preview", "response_preview"):
            if info.get(key) is not None:
                values[key] = info[key]
        with self.session() as session:
            experiment = active_experiment(session, experiment_id)
            existing = session.execute(
                select(trace_info).where(trace_info.c.request_id == trace_id).with_for_update()
            ).first()
            if existing is None:
                session.execute(
                    insert(trace_info).values(
                        request_id=trace_id, experiment_id=experiment.experiment_id, **values
                    )
                )
                tags[ARTIFACT_LOCATION_TAG] = append_path(
                    experiment.artifact_location, "traces", trace_id, "artifacts"
                )
            elif existing.experiment_id != experiment.experiment_id:
                raise StoreError(
                    f"Trace with ID '{trace_id}' already exists in another experiment."
                )
            else:
                values["db_payload_generation"] = existing.db_payload_generation + 1
                session.execute(
                    update(trace_info).where(trace_info.c.request_id == trace_id).values(**values)
                )
            _put(session, trace_tags, trace_id, tags)
            _put(session, trace_request_metadata, trace_id, dict(sorted(metadata.items())))
            trace = _find(session, trace_id)
            rows = [row_from_message(a, trace) for a in info.get("assessments") or []]
            upsert(session.connection(), assessments, rows, ("assessment_id",))
            return _v3_infos(session, [trace])[0]

    def get_trace_info_v3(self, trace_id: str) -> dict[str, Any]:
        with self.read_session() as session:
            return _v3_infos(session, [_find_v3(session, trace_id)])[0]

    def get_trace(self, trace_id: str) -> dict[str, Any]:
        """The trace info with its spans (OTLP messages)."""
        with self.read_session() as session:
            info = _v3_infos(session, [_find_v3(session, trace_id)])[0]
            return {"trace_info": info, "spans": spans_json(session, [trace_id])[trace_id]}

    def batch_get_traces(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The traces of `trace_ids` that exist (in `experiment_ids` when given), in the order
        asked, with their spans."""
        with self.read_session() as session:
            infos = _infos_by_id(session, trace_ids, experiment_ids)
            found = [trace_id for trace_id in trace_ids if trace_id in infos]
            by_trace = spans_json(session, found)
            return [{"trace_info": infos[t], "spans": by_trace[t]} for t in found]

    def batch_get_trace_infos(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """batch_get_traces without the spans."""
        with self.read_session() as session:
            infos = _infos_by_id(session, trace_ids, experiment_ids)
            return [infos[trace_id] for trace_id in trace_ids if trace_id in infos]

    def search_traces_v3(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """search_traces with V3 trace infos."""
        check_max_results(max_results)
        comparisons = parse_filter(filter_string, TRACE_V3_GRAMMAR)
        orders = parse_order_by_list(order_by, TRACE_V3_GRAMMAR)
        offset = offset_from_token(page_token)
        numbers = [n for n in map(experiment_number, experiment_ids) if n is not None]
        stmt = select(trace_info).where(
            trace_info.c.experiment_id.in_(numbers),
            *(trace_filter(comparison, self.dialect) for comparison in comparisons),
        )
        stmt, columns = ordered_traces(stmt, orders, self.dialect)
        with self.read_session() as session:
            page = load_page(session, stmt, columns, offset, max_results, _v3_infos)
        return page.items, page.next_page_token

    def link_traces_to_run(self, trace_ids: Sequence[str], run_id: str) -> None:
        """Associate traces with a run (entity_associations rows, once each)."""
        if len(trace_ids) > MAX_TRACE_LINKS:
            raise StoreError(
                f"Cannot link more than {MAX_TRACE_LINKS} traces to a run in a single request. "
                f"Provided {len(trace_ids)} traces."
            )
        if not trace_ids:
            return
        with self.session() as session:
            linked: set[str] = set(
                session.execute(
                    select(entity_associations.c.source_id).where(
                        entity_associations.c.source_type == "trace",
                        entity_associations.c.source_id.in_(list(trace_ids)),
                        entity_associations.c.destination_type == "run",
                        entity_associations.c.destination_id == run_id,
                    )
                ).scalars()
            )
            now = int(time.time() * 1000)
            for trace_id in dict.fromkeys(t for t in trace_ids if t not in linked):
                session.execute(
                    insert(entity_associations).values(
                        association_id=uuid.uuid4().hex,
                        source_type="trace",
                        source_id=trace_id,
                        destination_type="run",
                        destination_id=run_id,
                        created_time=now,
                    )
                )

    def create_assessment(self, message: Mapping[str, Any]) -> dict[str, Any]:
        trace_id = message.get("trace_id") or ""
        with self.session() as session:
            trace = _find_v3(session, trace_id)
            row = row_from_message(message, trace, new_assessment_id())
            insert_rows(session, [row])
            return assessment_json(find_assessment(session, trace_id, row["assessment_id"]))

    def get_assessment(self, trace_id: str, assessment_id: str) -> dict[str, Any]:
        with self.read_session() as session:
            return assessment_json(find_assessment(session, trace_id, assessment_id))

    def update_assessment(
        self, trace_id: str, assessment_id: str, changes: Mapping[str, Any], paths: Sequence[str]
    ) -> dict[str, Any]:
        with self.session() as session:
            return assessment_json(update_row(session, trace_id, assessment_id, changes, paths))

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        with self.session() as session:
            _find_v3(session, trace_id)
            delete_row(session, trace_id, assessment_id)


def _find_v3(session: Session, trace_id: str) -> Row[Any]:
    row = session.execute(select(trace_info).where(trace_info.c.request_id == trace_id)).first()
    if row is None:
        raise not_found(f"Trace with ID '{trace_id}' not found.")
    return row


def _infos_by_id(
    session: Session, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None
) -> dict[str, dict[str, Any]]:
    stmt = select(trace_info).where(trace_info.c.request_id.in_(list(trace_ids)))
    if experiment_ids is not None:
        numbers = [n for n in map(experiment_number, experiment_ids) if n is not None]
        stmt = stmt.where(trace_info.c.experiment_id.in_(numbers))
    rows = session.execute(stmt).all()
    return {info["trace_id"]: info for info in _v3_infos(session, rows)}


def _v3_infos(session: Session, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    ids = [row.request_id for row in rows]
    tags = pairs_by_owner(session, trace_tags, "request_id", "key", "value", ids)
    metadata = pairs_by_owner(session, trace_request_metadata, "request_id", "key", "value", ids)
    assessed = assessments_of(session, ids)
    return [
        trace_info_json(
            row, tags[row.request_id], metadata[row.request_id], assessed[row.request_id]
        )
        for row in rows
    ]
