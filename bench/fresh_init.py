"""Creating an empty database at head: trackstore's fresh road against MLflow 3.18.0.

trackstore creates the head schema from its models and stamps it (`trackstore db upgrade` on an
empty database); MLflow creates its base tables and walks its whole chain when its store first
opens an empty database. Each is timed on new databases, several times, and the median printed.
Both run in this process: run it where MLflow 3.18.0 is installed (`tox -e bench -- fresh_init`).
"""

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.migration_bench import mlflow_elsewhere
from compat import make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from store import models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", help="server URL (postgresql/mysql); default SQLite files")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    problem = mlflow_elsewhere()
    if problem:
        parser.exit(2, f"{problem}\n")
    from tests.mlflow_reference import mlflow_version

    first, ours = measure(trackstore_create, args.server, args.repeat)
    theirs = measure(mlflow_create, args.server, args.repeat)[1]
    print(
        f"fresh database at head ({args.server or 'sqlite'}), median of {args.repeat}: "
        f"trackstore {ours * 1000:.1f} ms (first in the process, reading the revision "
        f"scripts: {first * 1000:.1f} ms), MLflow {mlflow_version()} {theirs * 1000:.1f} ms, "
        f"ratio {theirs / ours:.0f}x"
    )


def trackstore_create(uri: str) -> float:
    """Seconds `runner.upgrade` takes to create and stamp the empty database at `uri`."""
    engine = make_engine(uri)
    try:
        started = time.perf_counter()
        runner.upgrade(engine, fresh=models.SERVED)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def mlflow_create(uri: str) -> float:
    """Seconds MLflow's store spends creating the tables and walking the chain at `uri`."""
    from mlflow.store.db.utils import _initialize_tables
    from sqlalchemy import create_engine

    engine = create_engine(uri)
    try:
        started = time.perf_counter()
        _initialize_tables(engine)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def measure(create: Callable[[str], float], server: str | None, repeat: int) -> tuple[float, float]:
    """The first and the median of `repeat` runs of `create`, each on a new empty database;
    only the first pays for reading the revision scripts."""
    times = []
    for _ in range(repeat):
        with empty_database(server) as uri:
            times.append(create(uri))
    return times[0], statistics.median(times)


@contextmanager
def empty_database(server: str | None) -> Iterator[str]:
    if server is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'fresh.db'}"
        return
    url, name = make_url(server), f"ts_fresh_{uuid.uuid4().hex[:8]}"
    try:
        yield create_database(url, name).render_as_string(hide_password=False)
    finally:
        drop_database(url, name)


if __name__ == "__main__":
    main()
