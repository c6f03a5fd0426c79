"""Reading runs in bulk: the run search and metric histories, a page at a time."""

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from store.common.base import SqlStore
from store.common.errors import StoreError
from store.common.paging import Page, check_max_results, fetch_page, offset_from_token
from store.common.tables import metrics, runs
from store.search import parse_filter, parse_order_by_list
from store.tracking.entities import Metric, Run, ViewType
from store.tracking.reading import experiment_number, load_runs
from store.tracking.run_search import RUN_GRAMMAR, run_filter, run_order

SEARCH_MAX_RESULTS_DEFAULT = 1000
_METRIC_COLUMNS = (
    metrics.c.key,
    metrics.c.value,
    metrics.c.is_nan,
    metrics.c.timestamp,
    metrics.c.step,
)


class QueryStore(SqlStore):
    def search_runs(
        self,
        experiment_ids: Sequence[str | int],
        filter_string: str | None = None,
        run_view_type: ViewType | int | str | None = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        """Runs of the experiments that match the AND-ed filter, in `order_by` order.

        Without order_by, the newest start time comes first; run id breaks ties.
        """
        check_max_results(max_results)
        numbers = [experiment_number(e) for e in experiment_ids]
        if any(n is None for n in numbers):
            raise StoreError(f"Invalid experiment ids {list(experiment_ids)}: give integer ids.")
        conditions = [run_filter(c, self.dialect) for c in parse_filter(filter_string, RUN_GRAMMAR)]
        orders = parse_order_by_list(order_by, RUN_GRAMMAR)
        offset = offset_from_token(page_token)
        stmt = select(runs).where(
            runs.c.experiment_id.in_(numbers),
            runs.c.lifecycle_stage.in_(ViewType.of(run_view_type).stages()),
            *conditions,
        )
        ordering = run_order(orders, self.dialect)
        with self.read_session() as session:
            page = fetch_page(session, stmt, ordering, offset, max_results, lambda row: row)
            rows = [row._mapping for row in page.items]
            return Page(load_runs(session, rows, with_model_inputs=False), page.next_page_token)

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """Every logged value of a metric, by timestamp, step and value; [] for unknown runs."""
        check_max_results(max_results, allow_none=True)
        stmt = select(*_METRIC_COLUMNS).where(
            metrics.c.run_uuid == run_id, metrics.c.key == metric_key
        )
        ordering = [metrics.c.timestamp, metrics.c.step, metrics.c.value]
        with self.read_session() as session:
            return fetch_page(
                session, stmt, ordering, offset_from_token(page_token), max_results, _metric
            )

    def get_metric_history_bulk(
        self, run_ids: Sequence[str], metric_key: str, max_results: int
    ) -> list[tuple[str, Metric]]:
        """(run id, metric) pairs of a metric over several runs, by run, timestamp, step, value."""
        stmt = select(metrics.c.run_uuid, *_METRIC_COLUMNS).where(
            metrics.c.key == metric_key, metrics.c.run_uuid.in_(list(run_ids))
        )
        ordering = [metrics.c.run_uuid, metrics.c.timestamp, metrics.c.step, metrics.c.value]
        with self.read_session() as session:
            page = fetch_page(
                session, stmt, ordering, 0, max_results, lambda row: (row[0], _metric(row[1:]))
            )
            return page.items


def _metric(row: Sequence[Any]) -> Metric:
    """A Metric of a row of _METRIC_COLUMNS (unpacked: far faster than by name)."""
    key, value, is_nan, timestamp, step = row
    return Metric(key, math.nan if is_nan else value, timestamp, step)
