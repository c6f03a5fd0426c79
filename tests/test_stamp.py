"""`trackstore db stamp URI REV`: record a revision, change no table, refuse what makes no sense."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from migrations import runner
from store import models
from tests.cli import run_trackstore
from tests.schema import snapshot


def unrecorded_head_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        models.create_all(connection)


def test_stamp_records_the_revision_and_changes_no_table(
    fresh_backend: str, fresh_engine: Engine
) -> None:
    unrecorded_head_schema(fresh_engine)
    before = snapshot(fresh_engine)
    result = run_trackstore("db", "stamp", fresh_backend, models.REVISION)
    assert result.returncode == 0, result.stderr
    current = run_trackstore("db", "current", fresh_backend)
    assert current.stdout.strip() == models.REVISION
    assert {t: s for t, s in snapshot(fresh_engine).items() if t != "alembic_version"} == before


def test_stamp_replaces_a_revision_already_recorded(
    fresh_backend: str, fresh_engine: Engine
) -> None:
    runner.upgrade(fresh_engine, fresh=models.SERVED)
    with fresh_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    older = runner.history()[-2].revision
    assert run_trackstore("db", "stamp", fresh_backend, older).returncode == 0
    with fresh_engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in rows] == [older]


@pytest.mark.backends("sqlite")
def test_stamp_of_an_unknown_revision_is_a_clear_error(
    fresh_backend: str, fresh_engine: Engine
) -> None:
    unrecorded_head_schema(fresh_engine)
    before = snapshot(fresh_engine)
    result = run_trackstore("db", "stamp", fresh_backend, "abc123")
    assert result.returncode == 1
    assert result.stderr.startswith("error: 'abc123' is not a revision trackstore knows")
    assert "Traceback" not in result.stderr
    assert snapshot(fresh_engine) == before


@pytest.mark.backends("sqlite")
def test_stamp_refuses_an_empty_database(fresh_backend: str, fresh_engine: Engine) -> None:
    result = run_trackstore("db", "stamp", fresh_backend, "head")
    assert result.returncode == 1
    assert "is empty, so there is nothing to stamp" in result.stderr
    assert snapshot(fresh_engine) == {}
