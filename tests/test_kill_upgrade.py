"""SIGKILL `trackstore db upgrade` inside a revision, rerun it, and nothing may be half-done.

For every revision that runs several statements on a backend (a SQLite table rewrite is
several), the upgrade of a database with rows is killed before one of those statements; a
plain `trackstore db upgrade --revision head` must then reach head, leave the schema `db check`
expects and hold exactly the rows of a twin that was upgraded without a kill. CI kills at one chosen
point; TRACKSTORE_KILL_SWEEP=1 (`tox -e kill-sweep`) kills at every statement of every such
revision (and on MySQL also while each statement runs).
"""

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

from bench.migration_bench import START, build
from compat import dialect_for, make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from migrations.check import check
from store import models
from tests.cli import run_trackstore
from tests.kill_point import KILLING, WHOLE_CHAIN, KillPoint, counting, upgrade_killed_at
from tests.sample_store import table_rows

SWEEP = os.environ.get("TRACKSTORE_KILL_SWEEP") == "1"
# In CI: the metrics table rewrite that changes its primary key, killed at its second statement.
CHOSEN = KillPoint("181f10493468", 2)
# Seconds after a statement is sent that a mid-statement kill lands.
MID_STATEMENT = 0.01
ROWS = {"runs": 12, "params_per_run": 2, "steps": 3}


@dataclass(frozen=True)
class Twin:
    """What an uninterrupted upgrade from START does on this backend, and leaves."""

    statements: dict[str, int]
    rows: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def twin(backend: str) -> Twin:
    build(backend, **ROWS)
    engine = make_engine(backend)
    try:
        with counting(engine, START) as statements:
            runner.upgrade(engine, "head")
    finally:
        engine.dispose()
    return Twin(dict(statements), table_rows(backend))


def kill_points(statements: dict[str, int], transactional_ddl: bool) -> list[KillPoint]:
    """Every statement of the revisions that run several, or (in CI) a chosen one.

    Where DDL is not transactional the sweep also kills while each statement runs: MySQL goes
    on with a killed client's ALTER, and the rerun must wait for it.
    """
    several = {revision: n for revision, n in statements.items() if n >= 2}
    if SWEEP:
        delays = (0.0,) if transactional_ddl else (0.0, MID_STATEMENT)
        return [
            KillPoint(r, n, delay)
            for r, count in several.items()
            for n in range(1, count + 1)
            for delay in delays
        ]
    return [CHOSEN] if several.get(CHOSEN.revision, 0) >= CHOSEN.number else []


@contextmanager
def scratch(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database beside `backend`'s, dropped afterwards."""
    if backend.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'killed-{uuid.uuid4().hex[:8]}.db'}"
        return
    server = make_url(backend)
    name = f"{server.database}_{uuid.uuid4().hex[:6]}"
    url: URL = create_database(server, name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(server, name)


def test_every_kill_point_recovers_on_rerun(backend: str, twin: Twin, tmp_path: Path) -> None:
    points = kill_points(
        twin.statements, dialect_for(make_url(backend).get_backend_name()).transactional_ddl
    )
    assert points, f"no revision runs several statements here: {twin.statements}"
    failures: list[str] = []
    started = time.perf_counter()
    for point in points:
        with scratch(backend, tmp_path) as uri:
            failure = kill_and_rerun(uri, point, twin)
        if failure:
            failures.append(f"{point}: {failure}")
    seconds = time.perf_counter() - started
    print(
        f"\n{make_url(backend).get_backend_name()}: {len(points)} kills, "
        f"{len(points) - len(failures)} recoveries in {seconds:.0f} s"
    )
    assert not failures, "\n".join(failures)


def kill_and_rerun(uri: str, point: KillPoint, twin: Twin) -> str | None:
    """Why the database did not recover from a kill at `point`; None when it did."""
    build(uri, **ROWS)
    killed = upgrade_killed_at(uri, START, point)
    finished_first = point.delay and killed.returncode == 0
    if KILLING not in killed.stdout or (
        killed.returncode != -signal.SIGKILL and not finished_first
    ):
        return f"the upgrade was not killed there (exit {killed.returncode}): {killed.stderr}"
    rerun = run_trackstore("db", "upgrade", uri, *WHOLE_CHAIN)
    if rerun.returncode != 0:
        return f"the rerun failed: {rerun.stderr.strip()}"
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            recorded = runner.current_revision(connection)
        drift = check(engine, fresh=models.SERVED).differences
    finally:
        engine.dispose()
    if recorded != runner.head_revision():
        return f"the rerun left revision {recorded}"
    if drift:
        return "db check: " + "; ".join(drift)
    if table_rows(uri) != twin.rows:
        return "the rows differ from the uninterrupted twin's"
    return None
