"""Logged models: create, read, finalize, delete, search, params and tags (MLflow 3.1.4).

A model's metrics are written by the tracking store's `log_batch` (metrics naming a model id);
here they are read back with the model.
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import StoreError, not_found
from store.common.lookups import load_page, pairs_by_owner
from store.common.paging import Page
from store.common.tables import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from store.logged_models.entities import PENDING, LoggedModel, status_number
from store.logged_models.search import (
    LOGGED_MODEL_GRAMMAR,
    PageToken,
    check_datasets,
    model_conditions,
    model_order,
)
from store.search import parse_filter
from store.tracking.entities import ACTIVE, DELETED, Metric, Tag
from store.tracking.experiments import now_ms
from store.tracking.names import random_run_name
from store.tracking.reading import active_experiment, chunks, experiment_number
from store.tracking.uris import append_path

SEARCH_MAX_RESULTS_DEFAULT = 100
_BAD_NAME_CHARACTERS = ("/", ":", ".", "%", '"', "'")


class LoggedModelStore(SqlStore):
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[Tag] = (),
        params: Sequence[Tag] = (),
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model in an active experiment, id `m-` and 32 hex digits; its files go
        under `<experiment artifact location>/models/<id>/artifacts`."""
        _check_name(name)
        model_id = f"m-{uuid.uuid4().hex}"
        created = now_ms()
        with self.session() as session:
            experiment = active_experiment(session, experiment_id)
            session.execute(
                insert(logged_models).values(
                    model_id=model_id,
                    experiment_id=experiment.experiment_id,
                    name=name or random_run_name(),
                    artifact_location=append_path(
                        experiment.artifact_location, "models", model_id, "artifacts"
                    ),
                    creation_timestamp_ms=created,
                    last_updated_timestamp_ms=created,
                    model_type=model_type,
                    status=PENDING,
                    lifecycle_stage=ACTIVE,
                    source_run_id=source_run_id,
                )
            )
            row = find_logged_model(session, model_id)
            put_model_pairs(session, logged_model_params, row, params)
            put_model_pairs(session, logged_model_tags, row, tags)
            return _load(session, [row])[0]

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self.read_session() as session:
            return _load(session, [find_logged_model(session, model_id)])[0]

    def finalize_logged_model(self, model_id: str, status: int | str) -> LoggedModel:
        """Set the model's status (READY or FAILED once its files are uploaded)."""
        number = status_number(status)
        with self.session() as session:
            find_logged_model(session, model_id, with_deleted=True)
            _update(session, model_id, status=number)
            return _load(session, [find_logged_model(session, model_id, with_deleted=True)])[0]

    def delete_logged_model(self, model_id: str) -> None:
        """Mark the model deleted; `trackstore gc` removes it with its experiment."""
        with self.session() as session:
            find_logged_model(session, model_id, with_deleted=True)
            _update(session, model_id, lifecycle_stage=DELETED)

    def log_logged_model_params(self, model_id: str, params: Sequence[Tag]) -> None:
        """Add params; logging a key again with the same value is fine, a new value is not."""
        with self.session() as session:
            model = find_logged_model(session, model_id, with_deleted=True)
            stored = _pairs(session, logged_model_params, [model_id])[model_id]
            changed = sorted({p.key for p in params if stored.get(p.key, p.value) != p.value})
            if changed:
                raise StoreError(
                    f"Changing param values is not allowed: params {changed} of model "
                    f"{model_id!r} were already logged with other values."
                )
            put_model_pairs(session, logged_model_params, model, params)

    def set_logged_model_tags(self, model_id: str, tags: Sequence[Tag]) -> None:
        with self.session() as session:
            put_model_pairs(
                session,
                logged_model_tags,
                find_logged_model(session, model_id, with_deleted=True),
                tags,
            )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self.session() as session:
            find_logged_model(session, model_id, with_deleted=True)
            removed = session.connection().execute(
                delete(logged_model_tags).where(
                    logged_model_tags.c.model_id == model_id, logged_model_tags.c.tag_key == key
                )
            )
            if not removed.rowcount:
                raise not_found(f"No tag with key {key!r} found for model with ID {model_id!r}.")

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        """Live models of the experiments matching the filter and datasets, a page at a time.

        The page token carries the search it belongs to and is refused for another one.
        """
        check_datasets(datasets or [])
        request = PageToken(list(experiment_ids), filter_string, order_by)
        offset = 0
        if page_token:
            token = PageToken.decode(page_token)
            token.check_matches(request)
            offset = token.offset
        limit = max_results or SEARCH_MAX_RESULTS_DEFAULT
        comparisons = parse_filter(filter_string, LOGGED_MODEL_GRAMMAR)
        numbers = [n for n in map(experiment_number, experiment_ids) if n is not None]
        stmt = select(logged_models).where(
            logged_models.c.lifecycle_stage != DELETED,
            logged_models.c.experiment_id.in_(numbers),
            *model_conditions(comparisons, datasets or [], self.dialect),
        )
        with self.read_session() as session:
            page = load_page(session, stmt, model_order(order_by or []), offset, limit, _load)
        if not page.next_page_token:
            return page
        following = PageToken(request.experiment_ids, filter_string, order_by, offset + limit)
        return Page(page.items, following.encode())


def _check_name(name: str | None) -> None:
    if name is not None and (not name or any(c in name for c in _BAD_NAME_CHARACTERS)):
        raise StoreError(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {_BAD_NAME_CHARACTERS}"
        )


def find_logged_model(session: Session, model_id: str, *, with_deleted: bool = False) -> Row[Any]:
    """The logged_models row of `model_id` (deleted ones only when asked), else not found."""
    stmt = select(logged_models).where(logged_models.c.model_id == model_id)
    if not with_deleted:
        stmt = stmt.where(logged_models.c.lifecycle_stage != DELETED)
    row = session.execute(stmt).first()
    if row is None:
        raise not_found(f"Logged model with ID '{model_id}' not found.")
    return row


def _update(session: Session, model_id: str, **values: Any) -> None:
    session.execute(
        update(logged_models)
        .where(logged_models.c.model_id == model_id)
        .values(last_updated_timestamp_ms=now_ms(), **values)
    )


def put_model_pairs(session: Session, table: Table, model: Row[Any], pairs: Sequence[Tag]) -> None:
    """Insert or overwrite params or tags (`table`) of `model`; the last of a repeated key wins."""
    prefix = _prefix(table)
    rows = [
        {
            "model_id": model.model_id,
            "experiment_id": model.experiment_id,
            f"{prefix}_key": pair.key,
            f"{prefix}_value": pair.value,
        }
        for pair in pairs
    ]
    upsert(session.connection(), table, rows, ("model_id", f"{prefix}_key"))


def _load(session: Session, rows: Sequence[Row[Any]]) -> list[LoggedModel]:
    """Entities for logged_models rows, with their params, tags and metric rows."""
    ids = [row.model_id for row in rows]
    params = _pairs(session, logged_model_params, ids)
    tags = _pairs(session, logged_model_tags, ids)
    metrics: defaultdict[str, list[Metric]] = defaultdict(list)
    for part in chunks(ids):
        stmt = (
            select(logged_model_metrics)
            .where(logged_model_metrics.c.model_id.in_(part))
            .order_by(
                logged_model_metrics.c.metric_name,
                logged_model_metrics.c.metric_timestamp_ms,
                logged_model_metrics.c.metric_step,
                logged_model_metrics.c.run_id,
            )
        )
        for m in session.execute(stmt):
            metrics[m.model_id].append(
                Metric(
                    key=m.metric_name,
                    value=m.metric_value,
                    timestamp=m.metric_timestamp_ms,
                    step=m.metric_step,
                    dataset_name=m.dataset_name,
                    dataset_digest=m.dataset_digest,
                    model_id=m.model_id,
                    run_id=m.run_id,
                )
            )
    return [
        LoggedModel(
            model_id=row.model_id,
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            creation_timestamp=row.creation_timestamp_ms,
            last_updated_timestamp=row.last_updated_timestamp_ms,
            status=row.status,
            model_type=row.model_type,
            source_run_id=row.source_run_id,
            status_message=row.status_message,
            tags=tags[row.model_id],
            params=params[row.model_id],
            metrics=metrics[row.model_id],
        )
        for row in rows
    ]


def _pairs(session: Session, table: Table, ids: Sequence[str]) -> defaultdict[str, dict[str, Any]]:
    """{model id: {key: value}} of params or tags (`table`)."""
    prefix = _prefix(table)
    return pairs_by_owner(session, table, "model_id", f"{prefix}_key", f"{prefix}_value", ids)


def _prefix(table: Table) -> str:
    """How the key and value columns of `table` (params or tags) begin."""
    return "param" if table is logged_model_params else "tag"
