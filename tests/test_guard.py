"""The schema guard: serve the models' revision with one query; otherwise refuse, touching
nothing."""

import re
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from compat import TrackstoreError, mask_url
from migrations import runner
from store import models
from store.common import guard
from tests.cli import run_trackstore
from tests.live_server import free_port, port_is_bound
from tests.schema import snapshot

# Statements a connection's own set-up sends (SQLite's pragmas and BEGIN), not the guard's.
CONNECTION_SETUP = re.compile(r"\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
UNKNOWN_REVISION = "ffffffffffff"


def create_served(engine: Engine) -> None:
    runner.upgrade(engine, fresh=models.SERVED)


def record_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def state(engine: Engine) -> tuple[Any, list[str]]:
    """The schema and the recorded revisions, to show that a refusal changed nothing."""
    with engine.connect() as connection:
        tables = snapshot(connection)
        recorded = (
            [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
            if "alembic_version" in tables
            else []
        )
    return tables, recorded


def refusal(engine: Engine, **options: Any) -> str:
    """The guard's sentence for `engine`, checking that the database is left as it was."""
    before = state(engine)
    with pytest.raises(TrackstoreError) as refused:
        guard.ensure_servable(engine, **options)
    assert state(engine) == before
    return str(refused.value)


def test_the_served_revision_is_served_with_one_query(fresh_engine: Engine) -> None:
    create_served(fresh_engine)
    fresh_engine.dispose()
    with fresh_engine.connect():
        pass  # the driver's first-connect queries are not the guard's
    statements: list[str] = []

    @event.listens_for(fresh_engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not CONNECTION_SETUP.match(statement):
            statements.append(statement)

    guard.ensure_servable(fresh_engine)
    assert len(statements) == 1
    assert "alembic_version" in statements[0]


def test_older_revision_is_refused_with_distance_and_remedy(fresh_engine: Engine) -> None:
    create_served(fresh_engine)
    order = [script.revision for script in runner.history()]
    older = order[order.index(models.REVISION) - 2]
    runner.stamp(fresh_engine, older)
    message = refusal(fresh_engine)
    where = mask_url(fresh_engine.url)
    assert f"is at revision {older}, 2 revisions behind" in message
    assert f"back it up, then run `trackstore db upgrade {where}`" in message


def test_unknown_revision_is_refused_as_newer_not_out_of_date(fresh_engine: Engine) -> None:
    create_served(fresh_engine)
    record_revision(fresh_engine, UNKNOWN_REVISION)
    message = refusal(fresh_engine)
    assert UNKNOWN_REVISION in message
    assert "does not know" in message and "newer" in message
    assert "behind" not in message and "upgrade" not in message


def test_tables_without_revision_are_refused_with_stamp_advice(fresh_engine: Engine) -> None:
    with fresh_engine.begin() as connection:
        models.create_all(connection)
    message = refusal(fresh_engine)
    assert "records no revision" in message
    assert f"`trackstore db stamp {mask_url(fresh_engine.url)} REV`" in message


def test_empty_database_is_created_at_the_served_revision_when_allowed(
    fresh_engine: Engine,
) -> None:
    guard.ensure_servable(fresh_engine, create_if_empty=True)
    with fresh_engine.connect() as connection:
        assert runner.current_revision(connection) == models.REVISION
    guard.ensure_servable(fresh_engine)


def test_empty_database_is_refused_when_creation_is_not_allowed(fresh_engine: Engine) -> None:
    message = refusal(fresh_engine, create_if_empty=False)
    assert "is empty" in message
    assert f"`trackstore db upgrade {mask_url(fresh_engine.url)}`" in message


@pytest.mark.backends("sqlite")
def test_empty_sqlite_is_created_by_default(fresh_engine: Engine) -> None:
    guard.ensure_servable(fresh_engine)
    with fresh_engine.connect() as connection:
        assert runner.current_revision(connection) == models.REVISION


@pytest.mark.backends("postgresql", "mysql", "mssql")
def test_empty_server_database_is_refused_by_default(fresh_engine: Engine) -> None:
    assert "is empty" in refusal(fresh_engine)


@pytest.mark.backends("sqlite")
def test_server_command_refuses_an_old_database_without_traceback(
    fresh_backend: str, fresh_engine: Engine
) -> None:
    create_served(fresh_engine)
    order = [script.revision for script in runner.history()]
    runner.stamp(fresh_engine, order[order.index(models.REVISION) - 1])
    port = free_port()
    result = run_trackstore("server", "--backend-store-uri", fresh_backend, "--port", str(port))
    assert result.returncode != 0
    assert result.stderr.startswith("error: ") and "1 revision behind" in result.stderr
    assert not port_is_bound(port)
    assert "Traceback" not in result.stderr
