"""Logging params, metrics and tags to a run, one at a time or as one atomic batch.

A batch is a few set-based statements in one transaction: all of it is stored or none. Its
metrics are inserted in one executemany (a metric already stored identically is skipped, as
MLflow skips it), and `latest_metrics` is upserted in one more, keeping per key the value of
the greatest (step, timestamp, value).
"""

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compat.upsert import RowTuples, insert_missing, upsert
from store.common.base import SqlStore
from store.common.errors import StoreError, not_found
from store.common.tables import (
    latest_metrics,
    logged_model_metrics,
    logged_models,
    metrics,
    params,
)
from store.tracking import validation
from store.tracking.entities import Metric, Tag
from store.tracking.reading import active_run_experiment, chunks
from store.tracking.runs import put_tags

# SQL has no infinities: MLflow stores them as the largest finite doubles.
LARGEST_DOUBLE = 1.7976931348623157e308
# In the metrics table's column order, the order its compiled INSERT binds them: the rows go
# to the driver as they are built.
METRIC_COLUMNS = ("key", "value", "timestamp", "run_uuid", "step", "is_nan")
LATEST_ORDER = ["step", "timestamp", "value"]


def stored_value(value: float) -> tuple[float, bool]:
    """(value, is_nan) as stored: NaN as 0 with is_nan set, infinities as the largest doubles."""
    if math.isnan(value):
        return 0.0, True
    if math.isinf(value):
        return (LARGEST_DOUBLE if value > 0 else -LARGEST_DOUBLE), False
    return float(value), False


class LoggingStore(SqlStore):
    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Log a param; logging it again with the same value is fine, a new value is refused."""
        param = validation.checked_param(Tag(key, value))
        with self.session() as session:
            active_run_experiment(session, run_id)
            insert_missing(
                session.connection(),
                params,
                [{"run_uuid": run_id, "key": param.key, "value": param.value}],
                ["run_uuid", "key"],
            )
            stored = _stored_params(session, run_id, [param.key])
            if stored.get(param.key, param.value) != param.value:
                raise StoreError(
                    f"Changing param values is not allowed. Param with key='{param.key}' was "
                    f"already logged with value='{stored[param.key]}' for run ID='{run_id}'. "
                    f"Attempted logging new value '{param.value}'."
                )

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """As a batch of one, but a refusal names the metric's fields without `metrics[0].`."""
        validation.check_run_id(run_id)
        self.log_batch(run_id, metrics=[validation.checked_metric(metric)])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Tag] = (),
        tags: Sequence[Tag] = (),
    ) -> None:
        """Log metrics, params and tags to an active run, all of them or (on any error) none."""
        validation.check_run_id(run_id)
        checked_metrics = validation.checked_metrics(metrics)
        checked_params = [validation.checked_param(p, f"params[{i}]") for i, p in enumerate(params)]
        checked_tags = [validation.checked_tag(t, f"tags[{i}]") for i, t in enumerate(tags)]
        validation.check_batch(checked_metrics, checked_params, checked_tags)
        with self.session() as session:
            experiment_id = active_run_experiment(session, run_id)
            _log_params(session, run_id, checked_params)
            _log_metrics(session, run_id, checked_metrics)
            _log_model_metrics(session, experiment_id, run_id, checked_metrics)
            if checked_tags:
                put_tags(session, run_id, checked_tags)


def _log_params(session: Session, run_id: str, new: Sequence[Tag]) -> None:
    if not new:
        return
    stored = _stored_params(session, run_id, [p.key for p in new])
    changed = [
        {"key": p.key, "old_value": stored[p.key], "new_value": p.value}
        for p in new
        if p.key in stored and stored[p.key] != p.value
    ]
    if changed:
        raise StoreError(
            f"Changing param values is not allowed. Params were already logged='{changed}' "
            f"for run ID='{run_id}'."
        )
    rows = [
        {"run_uuid": run_id, "key": p.key, "value": p.value} for p in new if p.key not in stored
    ]
    insert_missing(session.connection(), params, rows, ["run_uuid", "key"])


def _stored_params(session: Session, run_id: str, keys: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in chunks(list(keys)):
        stmt = select(params.c.key, params.c.value).where(
            params.c.run_uuid == run_id, params.c.key.in_(part)
        )
        found.update({row.key: row.value for row in session.execute(stmt)})
    return found


def _log_metrics(session: Session, run_id: str, new: Sequence[Metric]) -> None:
    if not new:
        return
    rows = _metric_rows(run_id, new)
    connection = session.connection()
    insert_missing(connection, metrics, rows, METRIC_COLUMNS)
    upsert(connection, latest_metrics, rows, ["run_uuid", "key"], greatest_by=LATEST_ORDER)


def _log_model_metrics(
    session: Session, experiment_id: int, run_id: str, new: Sequence[Metric]
) -> None:
    """Metrics naming a logged model are also recorded against that model, as MLflow does."""
    rows: list[dict[str, Any]] = [
        {
            "model_id": m.model_id,
            "metric_name": m.key,
            "metric_timestamp_ms": int(m.timestamp),
            "metric_step": int(m.step),
            "metric_value": stored_value(m.value)[0],
            "experiment_id": experiment_id,
            "run_id": run_id,
            "dataset_uuid": None,
            "dataset_name": m.dataset_name,
            "dataset_digest": m.dataset_digest,
        }
        for m in new
        if m.model_id
    ]
    if not rows:
        return
    wanted = sorted({row["model_id"] for row in rows})
    known: set[str] = set(
        session.execute(
            select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
        ).scalars()
    )
    missing = [model_id for model_id in wanted if model_id not in known]
    if missing:
        raise not_found(f"Logged model with ID '{missing[0]}' not found.")
    key = ["model_id", "metric_name", "metric_timestamp_ms", "metric_step", "run_id"]
    insert_missing(session.connection(), logged_model_metrics, rows, key)


def _metric_rows(run_id: str, new: Sequence[Metric]) -> RowTuples:
    """The metrics rows of a batch; a tight loop, as a batch holds up to a thousand."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for metric in new:
        value, timestamp, step = metric.value, metric.timestamp, metric.step
        is_nan = False
        if type(value) is not float or not -LARGEST_DOUBLE <= value <= LARGEST_DOUBLE:
            value, is_nan = stored_value(value)
        if type(timestamp) is not int:
            timestamp = int(timestamp)
        if type(step) is not int:
            step = int(step)
        append((metric.key, value, timestamp, run_id, step, is_nan))
    return RowTuples(METRIC_COLUMNS, rows)
