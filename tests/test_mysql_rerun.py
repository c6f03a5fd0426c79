"""MySQL commits each schema change at once: a revision that fails part-way must finish on rerun.

For every revision that changes the schema and then does more, the upgrade is made to fail at
its last statement, after all the others. The database is then half-done (the earlier changes
kept, the recorded revision unchanged); upgrading again must skip what is there and end in
exactly the schema of a twin database that walked the chain without failing.
"""

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url

from bench.migration_bench import build
from compat import dialect_for, make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from tests.cli import run_trackstore
from tests.kill_point import start_upgrade, wait_for_session_running
from tests.offline_script import REVISIONS, sections
from tests.schema import Snapshot, snapshot

# A schema change, offline also as the EXECUTE of one prepared to drop a key found by lookup.
SCHEMA_CHANGE = re.compile(
    r"^\s*((CREATE|ALTER|DROP|RENAME)\s+(TABLE|INDEX)|EXECUTE)\b", re.IGNORECASE
)
WORK = re.compile(r"^\s*(CREATE|ALTER|DROP|RENAME|INSERT|UPDATE|DELETE|EXECUTE)\b", re.IGNORECASE)
PARENTS = dict(zip(REVISIONS[1:], REVISIONS, strict=False))


class InjectedFailure(Exception):
    """The failure this test puts in the middle of a revision."""


def is_work(statement: str) -> bool:
    """True for a statement that changes the schema or the data (not the recorded revision)."""
    return bool(WORK.match(statement)) and "alembic_version" not in statement


def interruptible(sql: str) -> bool:
    """True when an offline section changes the schema before its last statement."""
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", sql).split(";\n")]
    steps = [s for s in statements if is_work(s)]
    return any(SCHEMA_CHANGE.match(s) for s in steps[:-1])


INTERRUPTIBLE = [rev for rev in REVISIONS[1:] if interruptible(sections("mysql")[rev])]


@dataclass
class Walk:
    """A twin database's schema after each revision, and the work statements each one ran."""

    schemas: dict[str, Snapshot] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def server_uri(backend: str) -> str:
    if dialect_for(make_url(backend).get_backend_name()).transactional_ddl:
        pytest.skip(
            "only MySQL commits DDL statement by statement; here a failed revision rolls back whole"
        )
    return backend


@pytest.fixture(scope="module")
def engine(server_uri: str) -> Iterator[Engine]:
    engine = make_engine(server_uri)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def clean(server_uri: str) -> Iterator[Walk]:
    """The twin, upgraded one revision at a time without interruption."""
    server = make_url(server_uri)
    name = f"{server.database}_clean"
    twin = make_engine(create_database(server, name))
    walk = Walk()
    try:
        for revision in REVISIONS:
            with watching(twin, walk.statements.setdefault(revision, []).append):
                runner.upgrade(twin, revision)
            walk.schemas[revision] = snapshot(twin)
        yield walk
    finally:
        twin.dispose()
        drop_database(server, name)


@contextmanager
def watching(engine: Engine, see: Callable[[str], None]) -> Iterator[None]:
    """Hand every work statement `engine` is about to run to `see` (which may raise)."""

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if is_work(statement):
            see(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def failing_at(number: int) -> Callable[[str], None]:
    """A watcher that lets `number` - 1 work statements run and fails the next."""
    seen = [0]

    def see(statement: str) -> None:
        seen[0] += 1
        if seen[0] == number:
            raise InjectedFailure(statement)

    return see


def recorded(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return runner.current_revision(connection)


@pytest.mark.parametrize("revision", INTERRUPTIBLE)
def test_revision_failed_at_its_last_statement_completes_on_rerun(
    revision: str, engine: Engine, clean: Walk
) -> None:
    parent, steps = PARENTS[revision], clean.statements[revision]
    assert len(steps) >= 2, f"online, {revision} ran only {steps}"
    runner.upgrade(engine, parent)
    with watching(engine, failing_at(len(steps))), pytest.raises(InjectedFailure):
        runner.upgrade(engine, revision)
    assert recorded(engine) == parent
    assert snapshot(engine) != clean.schemas[parent], "the earlier changes did not stay"
    runner.upgrade(engine, revision)
    assert recorded(engine) == revision
    assert snapshot(engine) == clean.schemas[revision]


# Before c48cb773bb87, whose one statement copies metrics to retype is_nan and add a CHECK.
BEFORE_METRICS_COPY = "39d1c3be5f05"


def test_rerun_right_after_a_kill_waits_for_the_killed_statement_to_end(server_uri: str) -> None:
    """MySQL goes on running the ALTER of a client killed by SIGKILL. The migration lock must be
    that statement's session, so that a rerun waits for it (saying whose session and what it
    runs) instead of altering the table beside it, and then finishes the upgrade."""
    server = make_url(server_uri)
    name = f"{server.database}_killed"
    url = create_database(server, name)
    uri = url.render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        populated(uri, BEFORE_METRICS_COPY)
        before = start_rows(engine)
        with engine.connect() as blocker, engine.connect() as watcher:
            # An open write keeps the copy waiting, while others may still read the table.
            blocker.execute(text("UPDATE metrics SET value = value WHERE 1 = 0"))
            upgrader = start_upgrade(uri)
            session = wait_for_session_running(watcher, "ALTER TABLE metrics")
            rerun, said = start_upgrade(uri), Lines()
            said.read(rerun)
            waited = said.wait_for(f"held by MySQL connection {session} ", timeout=20)
            upgrader.kill()
            upgrader.wait()
            blocker.rollback()
        assert rerun.wait(timeout=120) == 0, "\n".join(said.lines)
        assert waited, "\n".join(said.lines)
        assert "running `ALTER TABLE metrics" in said.lines[0]
        assert recorded(engine) == runner.head_revision()
        result = run_trackstore("db", "check", uri)
        assert result.returncode == 0, result.stdout + result.stderr
        assert start_rows(engine) == before
    finally:
        engine.dispose()
        drop_database(server, name)


def test_is_nan_default_revision_drops_the_check_a_racing_rerun_added_twice(
    server_uri: str,
) -> None:
    """A kill during c48cb773bb87 once left metrics with a third is_nan CHECK (the killed
    statement's and the rerun's own); the revision must end with the two it is meant to leave."""
    server = make_url(server_uri)
    name = f"{server.database}_checks"
    url = create_database(server, name)
    engine = make_engine(url)
    try:
        runner.upgrade(engine, BEFORE_METRICS_COPY)
        with engine.begin() as connection:
            for _ in range(2):
                connection.execute(text("ALTER TABLE metrics ADD CHECK (is_nan IN (0, 1))"))
        runner.upgrade(engine, "head")
        result = run_trackstore("db", "check", url.render_as_string(hide_password=False))
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        engine.dispose()
        drop_database(server, name)


def start_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the tables the benchmark fills, in the columns they had at the start."""
    columns = {
        "experiments": "experiment_id, name, artifact_location",
        "runs": "run_uuid, name, status, start_time, experiment_id",
        "params": "`key`, value, run_uuid",
        "metrics": "`key`, value, timestamp, step, run_uuid",
    }
    with engine.connect() as connection:
        return {
            table: sorted(map(tuple, connection.execute(text(f"SELECT {listed} FROM {table}"))))
            for table, listed in columns.items()
        }


def populated(uri: str, revision: str) -> None:
    """Some hundred runs with metrics at 451aebb31d03, then upgraded to `revision`."""
    build(uri, runs=200, params_per_run=2, steps=10)
    engine = make_engine(uri)
    runner.upgrade(engine, revision)
    engine.dispose()


class Lines:
    """The output lines of a process, read by a thread so the test can wait for one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def read(self, process: subprocess.Popen[str]) -> None:
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, fragment: str, timeout: float = 30) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: any(fragment in line for line in self.lines), timeout
            )


# The revision with the most statements (the workspaces), failed at each one in turn
# (TRACKSTORE_KILL_SWEEP=1, some seven minutes) or at every SAMPLED-th one.
SWEPT = "1b5f0d9ad7c1"
SAMPLED = 1 if os.environ.get("TRACKSTORE_KILL_SWEEP") == "1" else 5
WORKSPACE_TABLES = (
    "experiments",
    "registered_models",
    "model_versions",
    "registered_model_tags",
    "model_version_tags",
    "registered_model_aliases",
    "evaluation_datasets",
    "webhooks",
    "secrets",
    "endpoints",
    "model_definitions",
    "jobs",
)


def test_workspace_revision_failed_at_any_statement_completes_on_rerun(
    server_uri: str, clean: Walk
) -> None:
    """After each failure the rerun must reach the uninterrupted schema; going down again
    readies the next try."""
    server = make_url(server_uri)
    name = f"{server.database}_sweep"
    engine = make_engine(create_database(server, name))
    parent, steps = PARENTS[SWEPT], clean.statements[SWEPT]
    try:
        runner.upgrade(engine, parent)
        for number, statement in list(enumerate(steps, start=1))[::SAMPLED]:
            with watching(engine, failing_at(number)), pytest.raises(InjectedFailure):
                runner.upgrade(engine, SWEPT)
            assert recorded(engine) == parent
            runner.upgrade(engine, SWEPT)
            assert snapshot(engine) == clean.schemas[SWEPT], f"failed at {number}: {statement}"
            runner.downgrade(engine, parent)
            assert snapshot(engine) == clean.schemas[parent], f"down after {number}: {statement}"
            rebuild_workspace_tables(engine)
    finally:
        engine.dispose()
        drop_database(server, name)


def rebuild_workspace_tables(engine: Engine) -> None:
    """MariaDB adds and drops a column in place by keeping the dropped one hidden in the row
    format; some thirty rounds of the sweep would fill a row of experiments with them. A real
    database goes up and down a few times at most, so the test rebuilds the tables instead."""
    with engine.begin() as connection:
        for table in WORKSPACE_TABLES:
            connection.execute(text(f"ALTER TABLE {table} FORCE"))
