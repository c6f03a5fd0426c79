"""Sampled metric history for the UI's charts: at most N points per run, spread evenly.

MLflow 3.18.0 samples by row (not by distinct step): the rows of each run, in (step, timestamp,
value, is_nan) order, are dealt into N buckets as SQL's NTILE deals them, and the first row of
each bucket is kept; the run's last row is always kept too, replacing the final sample when N are
already kept. Sampling by row keeps the answer bounded when many values share one step. Both
window functions run in the database, so only the kept rows leave it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from store.common.base import SqlStore
from store.common.tables import metrics
from store.tracking.entities import Metric
from store.tracking.reading import metric_value

_ORDER = (metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan)


@dataclass(frozen=True)
class StepRange:
    """The steps asked for, both ends included."""

    start: int
    end: int


class SamplingStore(SqlStore):
    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        steps: StepRange | None = None,
    ) -> list[tuple[str, Metric]]:
        """(run id, metric) pairs: up to `max_results` rows of each run, in the order of
        `run_ids` (a run named twice answers twice; an unknown run answers nothing)."""
        if not run_ids:
            return []
        kept: dict[str, list[Any]] = {}
        with self.read_session() as session:
            for row in session.execute(_sampled(run_ids, metric_key, max(1, max_results), steps)):
                kept.setdefault(row.run_uuid, []).append(row)
        return [
            (
                run_id,
                Metric(metric_key, metric_value(row.value, row.is_nan), row.timestamp, row.step),
            )
            for run_id in run_ids
            for row in _with_last(kept.get(run_id, []), max(1, max_results))
        ]


def _sampled(run_ids: Sequence[str], metric_key: str, buckets: int, steps: StepRange | None) -> Any:
    """The first row of each bucket and the last row of each run, flagged `first` and `last`."""
    conditions: list[ColumnElement[bool]] = [
        metrics.c.run_uuid.in_(sorted(set(run_ids))),
        metrics.c.key == metric_key,
    ]
    if steps is not None:
        conditions.append(metrics.c.step.between(steps.start, steps.end))
    bucketed = (
        select(
            metrics.c.run_uuid,
            *_ORDER,
            func.ntile(buckets).over(partition_by=metrics.c.run_uuid, order_by=_ORDER).label("b"),
            func.row_number()
            .over(partition_by=metrics.c.run_uuid, order_by=[c.desc() for c in _ORDER])
            .label("from_end"),
        )
        .where(*conditions)
        .subquery()
    )
    columns = [bucketed.c[c.name] for c in _ORDER]
    ranked = select(
        bucketed,
        func.row_number()
        .over(partition_by=[bucketed.c.run_uuid, bucketed.c.b], order_by=columns)
        .label("in_bucket"),
    ).subquery()
    return (
        select(
            ranked.c.run_uuid,
            *[ranked.c[c.name] for c in _ORDER],
            (ranked.c.in_bucket == 1).label("first"),
        )
        .where(or_(ranked.c.in_bucket == 1, ranked.c.from_end == 1))
        .order_by(ranked.c.run_uuid, *[ranked.c[c.name] for c in _ORDER])
    )


def _with_last(rows: list[Any], max_results: int) -> list[Any]:
    """The bucket samples of one run (in order), with the run's last row in place of the final
    sample when that row is not a sample already."""
    samples = [row for row in rows if row.first]
    if rows and not rows[-1].first:
        if len(samples) >= max_results:
            samples[-1] = rows[-1]
        else:
            samples.append(rows[-1])
    return samples
