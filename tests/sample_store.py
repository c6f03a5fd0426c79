"""A small store with real rows at an older revision, and a way to compare stores' contents."""

from typing import Any

from sqlalchemy import MetaData

from bench.migration_bench import table_rows as bench_table_rows
from compat import make_engine
from migrations import runner

# Before the experiment timestamps and the 8000-character params: the runbook's example.
OLD_REVISION = "cc1f77228345"
LONG_PARAM = "p" * 400


def build_sample(uri: str, revision: str = OLD_REVISION) -> None:
    """Walk the chain to `revision` and add experiments, runs, params, metrics and tags."""
    engine = make_engine(uri)
    try:
        runner.upgrade(engine, revision)
        tables = MetaData()
        tables.reflect(engine)
        with engine.begin() as connection:
            for name, rows in _rows().items():
                connection.execute(tables.tables[name].insert(), rows)
    finally:
        engine.dispose()


def _rows() -> dict[str, list[dict[str, Any]]]:
    runs = [f"{n:032x}" for n in range(1, 4)]
    return {
        "experiments": [
            {"experiment_id": e, "name": f"exp-{e}", "artifact_location": f"/a/{e}"}
            | {"lifecycle_stage": "active"}
            for e in (1, 2)
        ],
        "runs": [
            {"run_uuid": run, "name": f"run-{i}", "source_type": "LOCAL", "source_name": "t.py"}
            | {"entry_point_name": "main", "user_id": "ada", "status": "FINISHED"}
            | {"start_time": 1_700_000_000_000 + i, "lifecycle_stage": "active"}
            | {"artifact_uri": f"/a/{run}", "experiment_id": 1 + i % 2, "source_version": "v1"}
            for i, run in enumerate(runs)
        ],
        "params": [
            {"key": f"k{k}", "value": LONG_PARAM if k == 0 else f"v{k}", "run_uuid": run}
            for run in runs
            for k in range(2)
        ],
        "metrics": [
            {"key": "loss", "value": 1.0 / (step + 1), "timestamp": 1_700_000_000_000 + step}
            | {"step": step, "is_nan": False, "run_uuid": run}
            for run in runs
            for step in range(5)
        ],
        "tags": [{"key": "team", "value": "ml", "run_uuid": run} for run in runs],
    }


def table_rows(uri: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, for comparing two databases' contents."""
    engine = make_engine(uri)
    try:
        return bench_table_rows(engine)
    finally:
        engine.dispose()
