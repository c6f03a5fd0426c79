"""Creating an empty database at head: trackstore's fresh road against MLflow 3.1.4.

trackstore creates the head schema from its models and stamps it (`trackstore db upgrade` on an
empty database); MLflow creates its base tables and walks its whole chain when its store first
opens an empty database. Each is timed on new databases, several times, and the median printed.
MLflow runs in this process when importable, otherwise in MLFLOW_PYTHON (the reference venv).
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from compat import make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from store import models

MLFLOW_PYTHON = os.environ.get("MLFLOW_PYTHON", "/opt/mlflow-ref/bin/python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", help="server URL (postgresql/mysql); default SQLite files")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mlflow-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mlflow_only:
        print(json.dumps(measure(mlflow_create, args.server, args.repeat)[1]))
        return
    first, ours = measure(trackstore_create, args.server, args.repeat)
    theirs = mlflow_seconds(args.server, args.repeat)
    print(
        f"fresh database at head ({args.server or 'sqlite'}), median of {args.repeat}: "
        f"trackstore {ours * 1000:.1f} ms (first in the process, reading the revision "
        f"scripts: {first * 1000:.1f} ms), MLflow 3.1.4 {theirs * 1000:.1f} ms, "
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


def mlflow_seconds(server: str | None, repeat: int) -> float:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        command = [MLFLOW_PYTHON, "-m", "bench", "fresh_init", "--mlflow-only"]
        command += ["--repeat", str(repeat)] + (["--server", server] if server else [])
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return float(done.stdout.strip().splitlines()[-1])
    return measure(mlflow_create, server, repeat)[1]


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
