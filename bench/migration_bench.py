"""Upgrading a large database to the chain's head: trackstore against MLflow 3.18.0.

From each starting point (by default 451aebb31d03, the oldest the data fits, and bda7b8c39065,
where MLflow 3.1.4 leaves a database), both tools get an identical database — same
deterministic rows — on the same server in the same run, trackstore's turn right before
MLflow's so both meet the same load. The benchmark prints each one's time, the ratio, whether
every table ends identical, and the load average around the pair. Run it where MLflow 3.18.0 is
installed (`tox -e bench -- migration_bench ...`).

With `--processes`, each tool instead runs as the command an operator types, start-up included:
`trackstore db upgrade URI --revision bda7b8c39065` against MLflow 3.1.4's `mlflow db upgrade
URI` (from MLFLOW_314_PYTHON, default the reference virtualenv), both ending at 3.1.4's head.
"""

import argparse
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import MetaData, Table, event, select
from sqlalchemy.engine import Connection, Engine, make_url

from compat import make_engine
from compat.databases import create_database, drop_database
from migrations import runner

START = "451aebb31d03"
# Where MLflow 3.1.4 (and every release from 3.0.1 on) leaves a database.
MLFLOW_314_HEAD = "bda7b8c39065"
KEYS = ("loss", "accuracy", "lr", "val_loss", "val_accuracy")
MLFLOW_314_PYTHON = os.environ.get("MLFLOW_314_PYTHON", "/opt/mlflow-ref/bin/python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_data_arguments(parser, runs=5000)
    parser.add_argument(
        "--start",
        action="append",
        help=f"revision to start from, repeatable (default: {START} and {MLFLOW_314_HEAD})",
    )
    parser.add_argument(
        "--per-revision", action="store_true", help="also print each revision's seconds per tool"
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help=f"whole commands against MLflow 3.1.4's `mlflow db upgrade`, to {MLFLOW_314_HEAD}",
    )
    args = parser.parse_args()
    if args.processes:
        starts = args.start or [START]
        problem = unfit_start(starts, MLFLOW_314_HEAD)
    else:
        starts = args.start or [START, MLFLOW_314_HEAD]
        problem = unfit_start(starts) or mlflow_elsewhere()
    if problem:
        parser.exit(2, f"{problem}\n")
    for start in starts:
        (compare_processes if args.processes else compare)(start, args)


def unfit_start(starts: list[str], end: str | None = None) -> str | None:
    """Why a starting revision cannot be benchmarked up to `end` (default: the head), or None:
    the data needs 451aebb31d03's metrics (with steps), and `end` has nothing left to upgrade."""
    chain = runner.chain()
    end = end or chain[-1]
    for start in starts:
        if start not in chain[chain.index(START) : chain.index(end)]:
            return (
                f"--start {start} is not a revision from {START} up to the one before "
                f"{end}; name one of those (see `trackstore db history`)."
            )
    return None


def mlflow_elsewhere() -> str | None:
    """Why the installed MLflow cannot be compared with trackstore's chain, or None."""
    from tests.mlflow_reference import mlflow_head, mlflow_version

    if mlflow_head() == runner.head_revision():
        return None
    return (
        f"MLflow {mlflow_version()} ends its chain at {mlflow_head()}, not at trackstore's head "
        f"{runner.head_revision()}; run the benchmark where MLflow 3.18.0 is installed "
        "(`tox -e bench`)."
    )


def compare(start: str, args: argparse.Namespace) -> None:
    """One pair from `start` to head: build, upgrade with each tool in turn, compare, print."""
    from tests.mlflow_reference import mlflow_version

    clocks = RevisionClock(args.per_revision), RevisionClock(args.per_revision)
    with TwoDatabases(args.server) as (ours, theirs):
        for uri in (ours, theirs):
            build(uri, args.runs, args.params_per_run, args.steps, start)
        load_before = os.getloadavg()[0]
        with clocks[0]:
            trackstore_s = timed(lambda: trackstore_upgrade(ours))
        # MLflow's half can take an hour: the first figure is kept even if it is cut short.
        print(f"from {start}: trackstore {trackstore_s:.1f} s; MLflow's turn now", flush=True)
        with clocks[1]:
            mlflow_s = timed(lambda: mlflow_upgrade(theirs))
        load_after = os.getloadavg()[0]
        same = same_rows(ours, theirs)
    if args.per_revision:
        print_revisions(clocks[0].seconds, clocks[1].seconds)
    rows = args.runs * len(KEYS) * args.steps
    print(
        f"from {start} to {runner.head_revision()}, metric rows {rows:,}: "
        f"trackstore {trackstore_s:.1f} s, MLflow {mlflow_version()} {mlflow_s:.1f} s, "
        f"ratio {mlflow_s / trackstore_s:.1f}x, identical rows: {same}, "
        f"load {load_before:.1f} before, {load_after:.1f} after",
        flush=True,
    )


def compare_processes(start: str, args: argparse.Namespace) -> None:
    """One pair from `start` to MLflow 3.1.4's head, each tool as a whole command."""
    trackstore = [sys.executable, "-m", "store.cli", "db", "upgrade"]
    with TwoDatabases(args.server) as (ours, theirs):
        for uri in (ours, theirs):
            build(uri, args.runs, args.params_per_run, args.steps, start)
        load_before = os.getloadavg()[0]
        trackstore_s = timed_command([*trackstore, ours, "--revision", MLFLOW_314_HEAD])
        mlflow_s = timed_command([MLFLOW_314_PYTHON, "-m", "mlflow", "db", "upgrade", theirs])
        load_after = os.getloadavg()[0]
        same = same_rows(ours, theirs)
    rows = args.runs * len(KEYS) * args.steps
    print(
        f"whole commands from {start} to {MLFLOW_314_HEAD}, metric rows {rows:,}: "
        f"trackstore {trackstore_s:.2f} s, MLflow 3.1.4 {mlflow_s:.2f} s, "
        f"ratio {mlflow_s / trackstore_s:.1f}x, identical rows: {same}, "
        f"load {load_before:.1f} before, {load_after:.1f} after",
        flush=True,
    )


def timed_command(command: list[str]) -> float:
    """Seconds `command` takes from its start to its exit; its output is kept from view."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


class RevisionClock:
    """Seconds per revision, read off the statement with which either tool records a revision
    as done; the first revision's time includes the tool's start (MLflow imports itself then).
    A clock that is not `running` listens to nothing, so the plain benchmark measures untouched.
    """

    RECORD = re.compile(r"UPDATE alembic_version SET version_num\s*=\s*'(\w+)'")

    def __init__(self, running: bool) -> None:
        self.running = running
        self.seconds: dict[str, float] = {}
        self.last = 0.0

    def __enter__(self) -> "RevisionClock":
        self.last = time.perf_counter()
        if self.running:
            event.listen(Engine, "after_cursor_execute", self._executed)
        return self

    def __exit__(self, *_: object) -> None:
        if self.running:
            event.remove(Engine, "after_cursor_execute", self._executed)

    def _executed(
        self, _connection: Connection, _cursor: object, statement: str, *_: object
    ) -> None:
        recorded = self.RECORD.match(statement)
        if recorded is not None:
            now = time.perf_counter()
            self.seconds[recorded.group(1)] = now - self.last
            self.last = now


def print_revisions(ours: dict[str, float], theirs: dict[str, float]) -> None:
    print(f"{'revision':<13} {'trackstore':>10} {'MLflow':>8}")
    for revision, seconds in ours.items():
        print(f"{revision:<13} {seconds:>9.2f}s {theirs.get(revision, math.nan):>7.2f}s")


def add_data_arguments(parser: argparse.ArgumentParser, runs: int) -> None:
    """Where the old database lives and how large it is, as every migration benchmark asks."""
    parser.add_argument("--server", help="server URL (postgresql/mysql); default SQLite files")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--params-per-run", type=int, default=20)
    parser.add_argument("--steps", type=int, default=40, help="steps per metric key and run")


def trackstore_upgrade(uri: str) -> None:
    """Upgrade to head and close, as MLflow's upgrade closes its engine: SQLite copies its WAL
    back into the database when the last connection closes, and that belongs to the upgrade."""
    engine = make_engine(uri)
    try:
        runner.upgrade(engine, "head")
    finally:
        engine.dispose()


def mlflow_upgrade(uri: str) -> None:
    from tests.mlflow_reference import mlflow_upgrade as upgrade

    upgrade(uri, "heads")


def timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class TwoDatabases:
    """Two empty databases, as SQLite files or on `server`; dropped on exit."""

    def __init__(self, server: str | None) -> None:
        self.server = make_url(server) if server else None
        self.names = [f"ts_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]

    def __enter__(self) -> tuple[str, str]:
        if self.server is None:
            self.folder = tempfile.TemporaryDirectory()
            ours, theirs = (f"sqlite:///{Path(self.folder.name) / n}.db" for n in self.names)
            return ours, theirs
        urls = [create_database(self.server, name) for name in self.names]
        return urls[0].render_as_string(False), urls[1].render_as_string(False)

    def __exit__(self, *_: object) -> None:
        if self.server is None:
            self.folder.cleanup()
        else:
            for name in self.names:
                drop_database(self.server, name)


def build(uri: str, runs: int, params_per_run: int, steps: int, start: str = START) -> None:
    """A database at `start` holding the same pseudo-random rows every time: filled at
    451aebb31d03, then upgraded by trackstore (whose schema there is MLflow's)."""
    engine = make_engine(uri)
    runner.upgrade(engine, START)
    tables = MetaData()
    tables.reflect(engine)
    rng = random.Random(42)
    run_ids = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(runs)]
    with engine.begin() as connection:
        connection.execute(
            tables.tables["experiments"].insert(),
            [
                {
                    "experiment_id": e,
                    "name": f"exp-{e}",
                    "artifact_location": f"/a/{e}",
                    "lifecycle_stage": "active",
                }
                for e in range(1, 6)
            ],
        )
        connection.execute(
            tables.tables["runs"].insert(),
            [
                {
                    "run_uuid": r,
                    "name": f"run-{i}",
                    "source_type": "LOCAL",
                    "source_name": "x.py",
                    "entry_point_name": "main",
                    "user_id": f"user{i % 7}",
                    "status": "FINISHED",
                    "start_time": 1_600_000_000_000 + i,
                    "end_time": None,
                    "source_version": "abc",
                    "lifecycle_stage": "active",
                    "artifact_uri": f"/a/{r}",
                    "experiment_id": 1 + i % 5,
                }
                for i, r in enumerate(run_ids)
            ],
        )
        insert_chunks(connection, tables.tables["params"], params(run_ids, params_per_run))
        insert_chunks(connection, tables.tables["metrics"], metrics(run_ids, steps, rng))
    if start != START:
        runner.upgrade(engine, start)
    engine.dispose()


def params(run_ids: list[str], per_run: int) -> Iterator[dict[str, object]]:
    for run in run_ids:
        for p in range(per_run):
            yield {"key": f"param_{p}", "value": f"value-{p}-{run[:6]}", "run_uuid": run}


def metrics(run_ids: list[str], steps: int, rng: random.Random) -> Iterator[dict[str, object]]:
    """Metrics whose latest value needs every tie-break: equal steps, timestamps and values."""
    for run in run_ids:
        for key in KEYS:
            for step in range(steps):
                timestamp = 1_600_000_000_000 + (step // 2) * 1000
                yield {
                    "key": key,
                    "value": round(math.sin(step) + rng.random(), 6),
                    "timestamp": timestamp,
                    "step": step // 2 if key == "lr" else step,
                    "run_uuid": run,
                }


def insert_chunks(connection: Connection, table: Table, rows: Iterator[dict[str, object]]) -> None:
    chunk: list[dict[str, object]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 10_000:
            connection.execute(table.insert(), chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)


def same_rows(ours: str, theirs: str) -> bool:
    """True when every table holds the same rows in both databases."""
    return table_rows(make_engine(ours)) == table_rows(make_engine(theirs))


def table_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in tables.tables.items()
        }


if __name__ == "__main__":
    main()
