"""The schema snapshot sees triggers, stored functions and views, on every backend.

Two databases that differ in one of them alone have different snapshots; the same object written
with other spacing or letter case has the same snapshot; `differences` (what `db check` prints)
names the object. Each test builds its two databases from one table and the objects it compares.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from compat import make_engine
from migrations.inspect_schema import Snapshot, differences, snapshot, source_text
from tests.twins import twin_database

TABLES = [
    "CREATE TABLE guarded (id VARCHAR(36) PRIMARY KEY, name VARCHAR(255))",
    "CREATE TABLE other (id VARCHAR(36) PRIMARY KEY, name VARCHAR(255))",
]
MESSAGE = "a locked row stays as it is"
# A trigger that refuses to change a locked row, per backend, with the parts the tests vary as
# fields: when it fires, its table, the message (its action) and its spelling.
TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER keep_locked {when} ON {table} FOR EACH ROW WHEN OLD.name = 'locked' "
        "BEGIN SELECT RAISE(ABORT, '{message}'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION keep_locked() RETURNS TRIGGER AS $$ BEGIN IF OLD.name = 'locked' THEN "
        "RAISE EXCEPTION '{message}'; END IF; RETURN OLD; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER keep_locked {when} ON {table} FOR EACH ROW EXECUTE FUNCTION keep_locked()",
    ],
    "mysql": [
        "CREATE TRIGGER keep_locked {when} ON {table} FOR EACH ROW BEGIN IF OLD.name = 'locked' "
        "THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{message}'; END IF; END"
    ],
}
VIEW = "CREATE VIEW locked_rows AS SELECT id FROM guarded WHERE name = '{name}'"
DEFAULTS = {"when": "BEFORE UPDATE", "table": "guarded", "message": MESSAGE}


@pytest.fixture
def twin(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with twin_database(backend, tmp_path_factory) as uri:
        engine = make_engine(uri)
        yield engine
        engine.dispose()


@pytest.fixture
def kind(backend: str) -> str:
    """The key of TRIGGER for this backend."""
    return next(name for name in TRIGGER if backend.startswith(name))


def build(engine: Engine, statements: list[str]) -> Snapshot:
    """The snapshot of `engine`'s database after the two tables and `statements`."""
    with engine.begin() as connection:
        for statement in TABLES + statements:
            connection.exec_driver_sql(statement)
    return snapshot(engine)


def trigger(kind: str, spelled_apart: bool = False, **changes: str) -> list[str]:
    """The trigger's statements with `changes` to its parts; `spelled_apart` writes them in
    lower case with line breaks, which says the same."""
    statements = [sql.format(**{**DEFAULTS, **changes}) for sql in TRIGGER[kind]]
    if not spelled_apart:
        return statements
    return [
        sql.replace(" BEGIN ", "\nbegin\n    ").replace("; END", ";\nend").replace(" ON ", "\non ")
        for sql in statements
    ]


def test_a_trigger_is_in_its_tables_snapshot(fresh_engine: Engine, kind: str) -> None:
    tables = build(fresh_engine, trigger(kind))
    ((name, when, rest),) = tables["guarded"]["triggers"]
    assert (name, when) == ("keep_locked", "BEFORE UPDATE")
    assert tables["other"]["triggers"] == []
    if kind != "postgresql":
        assert f"'{MESSAGE}'" in rest


def test_the_same_trigger_spelled_apart_has_the_same_snapshot(
    fresh_engine: Engine, twin: Engine, kind: str
) -> None:
    assert build(fresh_engine, trigger(kind)) == build(twin, trigger(kind, spelled_apart=True))


@pytest.mark.parametrize(
    "change",
    [
        {"message": "locked rows are read-only"},
        {"when": "AFTER UPDATE"},
        {"when": "BEFORE DELETE"},
        {"table": "other"},
    ],
    ids=["action", "timing", "event", "table"],
)
def test_a_trigger_that_differs_makes_the_snapshots_differ(
    fresh_engine: Engine, twin: Engine, kind: str, change: dict[str, str]
) -> None:
    assert build(fresh_engine, trigger(kind)) != build(twin, trigger(kind, **change))


def test_a_missing_trigger_is_named(fresh_engine: Engine, twin: Engine, kind: str) -> None:
    with_trigger = build(fresh_engine, trigger(kind))
    ((_, _, rest),) = with_trigger["guarded"]["triggers"]
    found = differences(with_trigger, build(twin, []))
    assert [line for line in found if line.startswith("table ")] == [
        f"table guarded: trigger keep_locked (BEFORE UPDATE) {rest} is missing"
    ]


@pytest.mark.backends("postgresql")
def test_a_function_is_in_the_snapshot_by_signature(fresh_engine: Engine, kind: str) -> None:
    tables = build(fresh_engine, trigger(kind))
    function = tables["keep_locked()"]
    assert function["kind"] == "function"
    assert function["returns"] == "RETURNS trigger LANGUAGE plpgsql"
    assert f"'{MESSAGE}'" in function["source"]


@pytest.mark.backends("postgresql")
def test_a_function_whose_body_differs_makes_the_snapshots_differ(
    fresh_engine: Engine, twin: Engine, kind: str
) -> None:
    ours = build(fresh_engine, trigger(kind))
    theirs = build(twin, trigger(kind, message="locked rows are read-only"))
    assert ours["guarded"] == theirs["guarded"], "the trigger itself is the same"
    assert ours != theirs
    assert differences(ours, theirs) == [
        "function keep_locked(): its source is "
        f"{theirs['keep_locked()']['source']!r}, expected {ours['keep_locked()']['source']!r}"
    ]


@pytest.mark.backends("postgresql")
def test_a_function_whose_arguments_differ_makes_the_snapshots_differ(
    fresh_engine: Engine, twin: Engine
) -> None:
    body = "AS $$ SELECT 1 $$ LANGUAGE sql"
    ours = build(fresh_engine, [f"CREATE FUNCTION one() RETURNS integer {body}"])
    theirs = build(twin, [f"CREATE FUNCTION one(n integer) RETURNS integer {body}"])
    assert differences(ours, theirs) == [
        "function one() is missing",
        "function one(n integer) is not expected",
    ]


def test_a_view_is_in_the_snapshot(fresh_engine: Engine) -> None:
    tables = build(fresh_engine, [VIEW.format(name="locked")])
    assert tables["locked_rows"]["kind"] == "view"
    assert "'locked'" in tables["locked_rows"]["definition"]


def test_the_same_view_spelled_apart_has_the_same_snapshot(
    fresh_engine: Engine, twin: Engine
) -> None:
    spelled_apart = VIEW.format(name="locked").replace(" FROM ", "\n  from ")
    assert build(fresh_engine, [VIEW.format(name="locked")]) == build(twin, [spelled_apart])


def test_a_view_that_differs_makes_the_snapshots_differ(fresh_engine: Engine, twin: Engine) -> None:
    ours = build(fresh_engine, [VIEW.format(name="locked")])
    theirs = build(twin, [VIEW.format(name="frozen")])
    assert [line.split(":")[0] for line in differences(ours, theirs)] == ["view locked_rows"]


def test_a_missing_view_is_named(fresh_engine: Engine, twin: Engine) -> None:
    ours = build(fresh_engine, [VIEW.format(name="locked")])
    assert differences(ours, build(twin, [])) == ["view locked_rows is missing"]


def test_source_text_keeps_literals_and_drops_layout() -> None:
    assert source_text("BEGIN\n  RAISE EXCEPTION 'Kept  AS IS' ;\nEND;") == (
        "begin raise exception 'Kept  AS IS';end"
    )
