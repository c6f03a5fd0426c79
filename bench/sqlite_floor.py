"""What SQLite alone takes to store store_bench's log_batch rows: the floor under any store.

The same batches as store_bench's log_batch (1,000 metrics: 100 keys x 10 steps), inserted by
the driver's own executemany into the head schema's metrics table and committed one by one,
on a connection set up as trackstore serves (WAL, synchronous FULL, its serving pragmas, so
foreign keys on). No latest_metrics, no validation, no Python beyond the driver call: the
rows are built before the clock starts. `store_bench --floor` runs it beside both stores in
the same run; on its own: `python -m bench sqlite_floor [--calls N]`.
"""

import argparse
import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert

from bench.store_bench import log_rates, metric_batches, new_run
from compat import make_engine
from compat.dialects.sqlite import SERVING_PRAGMAS
from store.common import tables
from store.tracking.entities import Metric
from store.tracking.store import TrackingStore
from tests.store.fresh import create_fresh_schema


class DriverFloor:
    """A SQLite file in `folder` that takes `batches` through the bare driver (see above)."""

    def __init__(self, folder: str, batches: list[list[Metric]]) -> None:
        self.engine = make_engine(f"sqlite:///{Path(folder) / 'floor.db'}")
        create_fresh_schema(self.engine)
        self.run_id = new_run(TrackingStore(self.engine, folder))
        compiled = insert(tables.metrics).compile(dialect=self.engine.dialect)
        self.sql = str(compiled)
        order = compiled.positiontup or ()
        self.rows = {
            id(batch): [tuple(_row(m, self.run_id)[name] for name in order) for m in batch]
            for batch in batches
        }
        self.connection = self.engine.raw_connection()
        self.driver = cast(sqlite3.Connection, self.connection.driver_connection)
        for name, value in SERVING_PRAGMAS.items():
            self.driver.execute(f"PRAGMA {name} = {value}")
        self.inserting = self.committing = 0.0

    def log(self, _run_id: str, batch: list[Metric]) -> None:
        started = time.perf_counter()
        self.driver.execute("BEGIN")
        self.driver.executemany(self.sql, self.rows[id(batch)])
        inserted = time.perf_counter()
        self.driver.execute("COMMIT")
        self.inserting += inserted - started
        self.committing += time.perf_counter() - inserted

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="batches of 1,000 metrics")
    args = parser.parse_args()
    batches = metric_batches(args.calls)
    with driver_floor(batches) as floor:
        [(rate, _)] = log_rates([floor.log], [floor.run_id], batches)
    print(
        f"SQLite alone: insert {1000 * floor.inserting / args.calls:.2f} ms and commit "
        f"{1000 * floor.committing / args.calls:.2f} ms per 1,000 rows, {rate:,.0f} rows/s"
    )


@contextlib.contextmanager
def driver_floor(batches: list[list[Metric]]) -> Iterator[DriverFloor]:
    """A DriverFloor in a temporary folder of its own, closed and removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        floor = DriverFloor(folder, batches)
        try:
            yield floor
        finally:
            floor.close()


def _row(metric: Metric, run_id: str) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "run_uuid": run_id,
        "step": metric.step,
        "is_nan": False,
    }
