"""MySQL commits each schema change at once: a revision that fails part-way must finish on rerun.

For every revision that changes the schema and then does more, the upgrade is made to fail at
its last statement, after all the others. The database is then half-done (the earlier changes
kept, the recorded revision unchanged); upgrading again must skip what is there and end in
exactly the schema of a twin database that walked the chain without failing.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from compat import dialect_for, make_engine
from compat.databases import create_database, drop_database
from migrations import runner
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
