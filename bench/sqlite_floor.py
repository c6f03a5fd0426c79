"""What SQLite alone takes to store store_bench's log_batch rows: the floor under any store.

The same batches as store_bench's log_batch (1,000 metrics: 100 keys x 10 steps), inserted by
the driver's own executemany into the head schema's metrics table and committed one by one,
on a connection set up as trackstore serves (WAL, synchronous FULL). No latest_metrics, no
validation, no Python beyond the driver call: the rows are built before the clock starts.
Dividing its rows/s by MLflow's from store_bench gives the highest log_batch ratio any store
could reach on this machine. `python -m bench sqlite_floor [--calls N]`
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.store_bench import metric_batches, new_run
from compat import make_engine
from store import tables
from store.entities import Metric
from store.tracking import TrackingStore
from tests.store.fresh import create_fresh_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="batches of 1,000 metrics")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'floor.db'}")
        create_fresh_schema(engine)
        run_id = new_run(TrackingStore(engine, folder))
        compiled = insert(tables.metrics).compile(dialect=engine.dialect)
        order = compiled.positiontup or ()
        batches = [
            [tuple(_row(metric, run_id)[name] for name in order) for metric in batch]
            for batch in metric_batches(args.calls)
        ]
        connection = engine.raw_connection()
        try:
            inserting, committing = _timed(connection.driver_connection, str(compiled), batches)
        finally:
            connection.close()
            engine.dispose()
    calls, rows = len(batches), sum(len(batch) for batch in batches)
    print(
        f"SQLite alone: insert {1000 * inserting / calls:.2f} ms and commit "
        f"{1000 * committing / calls:.2f} ms per 1,000 rows, "
        f"{rows / (inserting + committing):,.0f} rows/s"
    )


def _row(metric: Metric, run_id: str) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "run_uuid": run_id,
        "step": metric.step,
        "is_nan": False,
    }


def _timed(driver: Any, sql: str, batches: list[list[tuple[Any, ...]]]) -> tuple[float, float]:
    """Seconds spent inserting and seconds spent committing, over all batches."""
    inserting = committing = 0.0
    for batch in batches:
        started = time.perf_counter()
        driver.execute("BEGIN")
        driver.executemany(sql, batch)
        inserted = time.perf_counter()
        driver.execute("COMMIT")
        inserting += inserted - started
        committing += time.perf_counter() - inserted
    return inserting, committing
