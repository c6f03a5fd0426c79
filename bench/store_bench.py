"""The tracking store against MLflow's SqlAlchemyStore: same data, same machine, same run.

Three measurements, each printed with both stores' numbers and the ratio:
  log_batch  1,000 metrics per call, --calls calls into one run (rows per second);
  search     search_runs with a params + metrics filter over --runs runs (seconds per search);
  history    get_metric_history of one metric with --points points (seconds per read).
For the search and history, both databases are filled with identical rows first (written
through trackstore, whose rows MLflow reads as its own). MLflow is the release installed
beside trackstore, and each line names it: MLflow 3.18.0 with `tox -e bench -- store_bench
[--backend URL]`, 3.1.4 with `tox -e bench-314 -- store_bench`; one process holds one MLflow,
so the two releases are two runs. On SQLite,
`--floor` adds a third writer taking turns in the log_batch race: the bare driver of
bench.sqlite_floor, the most any store could reach.
"""

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from compat import make_engine
from store.common import tables
from store.tracking.entities import Metric
from store.tracking.store import TrackingStore
from tests.store.fresh import create_fresh_schema

METRICS_PER_CALL = 1000
KEYS_PER_CALL = 100
SEARCH_FILTER = "params.optimizer = 'adam' and metrics.accuracy > 0.5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", help="server URL (postgresql/mysql); default SQLite files")
    parser.add_argument("--calls", type=int, default=100, help="log_batch calls of 1,000 metrics")
    parser.add_argument("--runs", type=int, default=5000, help="runs the search looks through")
    parser.add_argument("--points", type=int, default=100_000, help="points in the history")
    parser.add_argument("--repeat", type=int, default=5, help="timed reads per store")
    parser.add_argument(
        "--floor", action="store_true", help="SQLite only: also log through the bare driver"
    )
    args = parser.parse_args()
    if args.floor and args.backend:
        parser.error("--floor measures SQLite files; leave out --backend")
    from bench.migration_bench import TwoDatabases

    with TwoDatabases(args.backend) as (ours_uri, theirs_uri):
        ours, theirs = open_stores(ours_uri, theirs_uri)
        logs: list[Callable[[str, list[Metric]], None]] = [
            lambda run, m: ours.log_batch(run, metrics=m),
            lambda run, m: theirs.log_batch(run, mlflow_metrics(m), [], []),
        ]
        batches = metric_batches(args.calls)
        with contextlib.ExitStack() as stack:
            runs = [new_run(ours), new_run(theirs)]
            if args.floor:
                from bench.sqlite_floor import driver_floor

                floor = stack.enter_context(driver_floor(batches))
                logs.append(floor.log)
                runs.append(floor.run_id)
            rates = log_rates(logs, runs, batches)
        (ours_rate, ours_cpu), (theirs_rate, theirs_cpu) = rates[:2]
        report("log_batch", ours_rate, theirs_rate, "rows/s", higher_is_better=True)
        report("log_batch CPU", ours_cpu, theirs_cpu, "ms/call", higher_is_better=False)
        if args.floor:
            floor_rate = rates[2][0]
            print(
                f"  SQLite alone: {floor_rate:,.0f} rows/s, {floor_rate / theirs_rate:.1f}x "
                f"MLflow's; trackstore reaches {ours_rate / floor_rate:.0%} of it"
            )
        compare_reads(args, ours, theirs, [ours_uri, theirs_uri])


def open_stores(ours_uri: str, theirs_uri: str) -> tuple[TrackingStore, Any]:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    engine = make_engine(ours_uri)
    create_fresh_schema(engine)
    artifacts = tempfile.mkdtemp(prefix="store-bench-")
    return TrackingStore(engine, artifacts), SqlAlchemyStore(theirs_uri, artifacts)


def new_run(store: Any) -> str:
    experiment_id = store.create_experiment(f"bench-{time.monotonic_ns()}")
    return str(store.create_run(experiment_id, "bench", 0, [], None).info.run_id)


def metric_batches(calls: int) -> list[list[Metric]]:
    """`calls` batches of 100 keys x 10 steps, every step newer than the last call's."""
    steps = METRICS_PER_CALL // KEYS_PER_CALL
    return [
        [
            Metric(f"metric_{k}", k * 0.01 + call, 1_700_000_000_000 + call, call * steps + s)
            for k in range(KEYS_PER_CALL)
            for s in range(steps)
        ]
        for call in range(calls)
    ]


def mlflow_metrics(metrics: list[Metric]) -> list[Any]:
    from mlflow.entities import Metric as MlflowMetric

    return [MlflowMetric(m.key, m.value, m.timestamp, m.step) for m in metrics]


def log_rates(
    logs: list[Callable[[str, list[Metric]], None]], run_ids: list[str], batches: list[Any]
) -> list[tuple[float, float]]:
    """Per store: rows logged per second of wall time, and CPU milliseconds per call.

    The stores take turns call by call, so a machine busy with other work slows both alike.
    """
    wall, cpu = [0.0] * len(logs), [0.0] * len(logs)
    for batch in batches:
        for index, (log, run_id) in enumerate(zip(logs, run_ids, strict=True)):
            started, started_cpu = time.perf_counter(), time.process_time()
            log(run_id, batch)
            wall[index] += time.perf_counter() - started
            cpu[index] += time.process_time() - started_cpu
    rows = sum(len(batch) for batch in batches)
    return [(rows / w, 1000 * c / len(batches)) for w, c in zip(wall, cpu, strict=True)]


def compare_reads(
    args: argparse.Namespace, ours: TrackingStore, theirs: Any, uris: list[str]
) -> None:
    experiment_id, history_run = "1001", "f" * 32
    for uri in uris:
        fill(make_engine(uri), int(experiment_id), args.runs, history_run, args.points)
    ours_search = timed(lambda: ours.search_runs([experiment_id], SEARCH_FILTER), args.repeat)
    theirs_search = timed(
        lambda: theirs.search_runs([experiment_id], SEARCH_FILTER, 1, 1000), args.repeat
    )
    report("search_runs", ours_search, theirs_search, "s", higher_is_better=False)
    ours_history = timed(lambda: ours.get_metric_history(history_run, "loss"), args.repeat)
    theirs_history = timed(lambda: theirs.get_metric_history(history_run, "loss"), args.repeat)
    report("metric history", ours_history, theirs_history, "s", higher_is_better=False)


def fill(engine: Engine, experiment_id: int, runs: int, history_run: str, points: int) -> None:
    """Identical rows for both databases: `runs` runs with three params, two metrics and two
    tags each, and one more run whose "loss" has `points` points."""
    run_ids = [f"{index:032x}" for index in range(runs)] + [history_run]
    with engine.begin() as connection:
        connection.execute(
            insert(tables.experiments),
            {
                "experiment_id": experiment_id,
                "name": "bench-search",
                "artifact_location": "/tmp/bench",
                "lifecycle_stage": "active",
                "creation_time": 0,
                "last_update_time": 0,
            },
        )
        connection.execute(
            insert(tables.runs), [_run(run, i, experiment_id) for i, run in enumerate(run_ids)]
        )
        connection.execute(
            insert(tables.tags),
            [
                {"run_uuid": r, "key": k, "value": v}
                for i, r in enumerate(run_ids)
                for k, v in (("mlflow.runName", f"run-{i}"), ("team", f"team-{i % 5}"))
            ],
        )
        connection.execute(
            insert(tables.params),
            [
                {"run_uuid": r, "key": k, "value": v}
                for i, r in enumerate(run_ids[:-1])
                for k, v in (
                    ("optimizer", ("adam", "sgd", "rmsprop")[i % 3]),
                    ("lr", str(10 ** -(i % 4))),
                    ("layers", str(i % 7)),
                )
            ],
        )
        values = [(r, "accuracy", (i * 37 % 100) / 100, i) for i, r in enumerate(run_ids[:-1])]
        values += [(r, "loss", (i * 53 % 100) / 10, i) for i, r in enumerate(run_ids[:-1])]
        values += [(history_run, "loss", 1 / (p + 1), p) for p in range(points)]
        metric_rows = [
            {"run_uuid": r, "key": k, "value": v, "timestamp": t, "step": t, "is_nan": False}
            for r, k, v, t in values
        ]
        for start in range(0, len(metric_rows), 10_000):
            connection.execute(insert(tables.metrics), metric_rows[start : start + 10_000])
        latest = {(row["run_uuid"], row["key"]): row for row in metric_rows}
        connection.execute(insert(tables.latest_metrics), list(latest.values()))
    engine.dispose()


def _run(run_id: str, index: int, experiment_id: int) -> dict[str, Any]:
    return {
        "run_uuid": run_id,
        "name": f"run-{index}",
        "source_type": "UNKNOWN",
        "source_name": "",
        "entry_point_name": "",
        "user_id": "bench",
        "status": "FINISHED",
        "start_time": index,
        "end_time": index + 1,
        "source_version": "",
        "lifecycle_stage": "active",
        "artifact_uri": f"/tmp/bench/{run_id}/artifacts",
        "experiment_id": experiment_id,
    }


def timed(work: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` calls, after one untimed warm-up."""
    work()
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def report(name: str, ours: float, theirs: float, unit: str, *, higher_is_better: bool) -> None:
    import mlflow

    ratio = ours / theirs if higher_is_better else theirs / ours
    print(
        f"{name:>15}: trackstore {ours:,.3f} {unit}, MLflow {mlflow.__version__} "
        f"{theirs:,.3f} {unit}, "
        f"trackstore is {ratio:.1f}x"
    )
