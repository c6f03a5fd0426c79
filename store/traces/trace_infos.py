"""Trace infos: start, end, read, tag, search and delete, as MLflow 3.1.4's tracking store does.

The spans themselves are artifacts; a trace's `mlflow.artifactLocation` tag says where, under
`<experiment artifact location>/traces/<request id>/artifacts`.
"""

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
from store.common.tables import trace_info, trace_request_metadata, trace_tags
from store.search import parse_filter, parse_order_by_list
from store.traces.entities import IN_PROGRESS, STATUSES, TraceInfo
from store.traces.search import TRACE_GRAMMAR, ordered_traces, trace_filter
from store.tracking import validation
from store.tracking.reading import active_experiment, chunks, experiment_number
from store.tracking.uris import append_path

ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
SEARCH_MAX_RESULTS_DEFAULT = 100
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000


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
        with self.session() as session:
            experiment = active_experiment(session, experiment_id)
            session.execute(
                insert(trace_info).values(
                    request_id=request_id,
                    experiment_id=experiment.experiment_id,
                    timestamp_ms=timestamp_ms,
                    execution_time_ms=None,
                    status=IN_PROGRESS,
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
        with self.session() as session:
            row = _find(session, request_id)
            session.execute(
                update(trace_info)
                .where(trace_info.c.request_id == request_id)
                .values(execution_time_ms=timestamp_ms - row.timestamp_ms, status=status)
            )
            _put(session, trace_request_metadata, request_id, request_metadata)
            _put(session, trace_tags, request_id, tags)
            return _load(session, [_find(session, request_id)])[0]

    def get_trace_info(self, request_id: str) -> TraceInfo:
        with self.read_session() as session:
            return _load(session, [_find(session, request_id)])[0]

    def set_trace_tag(self, request_id: str, key: str, value: str | None) -> None:
        """Set a tag (a value over 8000 characters is cut while truncation is on)."""
        validation.check_name(key, "tag key")
        validation.check_length(key, MAX_TAG_KEY_LENGTH, "key")
        value = validation.fitted(value, MAX_TAG_VALUE_LENGTH, "value")
        with self.session() as session:
            _find(session, request_id)
            _put(session, trace_tags, request_id, {key: value})

    def delete_trace_tag(self, request_id: str, key: str) -> None:
        with self.session() as session:
            removed = session.connection().execute(
                delete(trace_tags).where(
                    trace_tags.c.request_id == request_id, trace_tags.c.key == key
                )
            )
            if not removed.rowcount:
                raise not_found(
                    f"No trace tag with key '{key}' for trace with request_id '{request_id}'"
                )

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
    """Delete traces with their tags and metadata, a chunk of ids per statement."""
    for part in chunks(list(request_ids)):
        for table in (trace_tags, trace_request_metadata, trace_info):
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
            tags=tags[row.request_id],
        )
        for row in rows
    ]
