"""`db check`: the live schema against what its recorded revision must be, difference by
difference."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from compat import make_engine
from migrations import runner
from migrations.inspect_schema import differences
from store import models
from tests.cli import run_trackstore
from tests.sample_store import OLD_REVISION

DRIFT = (
    "DROP TABLE experiment_tags",
    "ALTER TABLE experiments ADD COLUMN owner VARCHAR(50)",
    "CREATE INDEX index_tags_extra ON tags (run_uuid)",
)
PASSWORD = "limited-Secret-7"


@pytest.fixture
def engine(fresh_backend: str) -> Iterator[Engine]:
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


def test_database_walked_to_an_old_revision_matches_it(fresh_backend: str, engine: Engine) -> None:
    runner.upgrade(engine, OLD_REVISION)
    result = run_trackstore("db", "check", fresh_backend)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"the schema matches revision {OLD_REVISION}"


def test_database_at_head_matches_the_models(fresh_backend: str) -> None:
    assert run_trackstore("db", "upgrade", fresh_backend).returncode == 0
    result = run_trackstore("db", "check", fresh_backend)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"the schema matches revision {models.REVISION}"


def test_each_difference_is_printed_and_the_exit_is_non_zero(
    fresh_backend: str, engine: Engine
) -> None:
    runner.upgrade(engine, OLD_REVISION)
    with engine.begin() as connection:
        for statement in DRIFT:
            connection.execute(text(statement))
    result = run_trackstore("db", "check", fresh_backend)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "table experiment_tags is missing",
        "table experiments: column owner is not expected",
        "table tags: index index_tags_extra (run_uuid) is not expected",
    ]
    assert f"The schema differs from revision {OLD_REVISION} in 3 places" in result.stderr


def test_changed_column_type_and_nullability_are_named() -> None:
    expected = {"t": _table([("v", "VARCHAR(500)", False, None)])}
    actual = {"t": _table([("v", "VARCHAR(250)", True, None)])}
    assert differences(expected, actual) == [
        "table t: column v is VARCHAR(250), expected VARCHAR(500)",
        "table t: column v is nullable, expected NOT NULL",
    ]


def test_missing_constraints_are_named() -> None:
    expected = {
        "t": _table(
            [("id", "INTEGER", False, None)],
            foreign_keys=[("fk_t_u", ("id",), "u", ("id",), "CASCADE")],
            check_constraints=[("t_positive", "id > 0")],
        )
    }
    actual = {"t": _table([("id", "INTEGER", False, None)])}
    assert differences(expected, actual) == [
        "table t: foreign key fk_t_u (id) -> u (id) ON DELETE CASCADE is missing",
        "table t: check constraint t_positive CHECK (id > 0) is missing",
    ]


def _table(columns: list[tuple[object, ...]], **parts: object) -> dict[str, object]:
    return {
        "columns": columns,
        "primary_key": ("t_pk", ("id",)),
        "foreign_keys": [],
        "unique_constraints": [],
        "indexes": [],
        "check_constraints": [],
        "triggers": [],
        **parts,
    }


def test_empty_database_is_one_sentence(fresh_backend: str) -> None:
    if fresh_backend.startswith("sqlite"):
        Path(make_url(fresh_backend).database or "").touch()  # a new, empty SQLite database
    result = run_trackstore("db", "check", fresh_backend)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "is empty; run `trackstore db upgrade` to create the schema."
    )


def test_unknown_recorded_revision_is_one_sentence(fresh_backend: str, engine: Engine) -> None:
    runner.upgrade(engine, OLD_REVISION)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'feedfacecafe'"))
    result = run_trackstore("db", "check", fresh_backend)
    assert result.returncode == 1
    assert "is at revision feedfacecafe, which this trackstore does not know" in result.stderr


@pytest.mark.backends("postgresql", "mysql")
def test_user_who_may_not_create_databases_is_told_so(fresh_backend: str, engine: Engine) -> None:
    runner.upgrade(engine, OLD_REVISION)
    with limited_login(engine, fresh_backend) as uri:
        result = run_trackstore("db", "check", uri)
    assert result.returncode == 1
    assert result.stderr.startswith("error: Could not create a scratch database on ")
    assert "run this as a user allowed to create databases" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


@contextmanager
def limited_login(engine: Engine, uri: str) -> Iterator[str]:
    """`uri` for a new login that may read its tables but create no database."""
    name = f"ts_reader_{uuid.uuid4().hex[:8]}"
    statements, cleanup = _limited_login_sql(engine, name)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except DBAPIError as exc:
        pytest.skip(f"the test login may not create another login here: {exc.orig}")
    try:
        yield make_url(uri).set(username=name, password=PASSWORD).render_as_string(False)
    finally:
        with engine.begin() as connection:
            for statement in cleanup:
                connection.execute(text(statement))


def _limited_login_sql(engine: Engine, name: str) -> tuple[list[str], list[str]]:
    database = engine.url.database
    if engine.dialect.name == "mysql":
        return (
            [
                f"CREATE USER '{name}'@'%' IDENTIFIED BY '{PASSWORD}'",
                f"GRANT SELECT ON {database}.* TO '{name}'@'%'",
            ],
            [f"DROP USER '{name}'@'%'"],
        )
    return (
        [
            f"CREATE ROLE {name} LOGIN NOCREATEDB PASSWORD '{PASSWORD}'",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}",
        ],
        [f"REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM {name}", f"DROP ROLE {name}"],
    )
