"""compat.upsert on every backend: insert-missing, replace, and keep-greatest."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Float, MetaData, String, Table, select, text
from sqlalchemy.engine import Connection

from compat import make_engine
from compat.dialects import dialect_for
from compat.upsert import STAGE_MIN_ROWS, RowTuples, insert_missing, upsert

metadata = MetaData()
latest = Table(
    "upsert_probe",
    metadata,
    Column("run", String(32), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
)
KEY = ["run", "key"]
ORDER = ["step", "timestamp", "value"]


@pytest.fixture
def connection(backend: str) -> Iterator[Connection]:
    engine = make_engine(backend)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            yield connection
            connection.execute(latest.delete())
    finally:
        engine.dispose()


def rows(*points: tuple[str, int, int, float, bool]) -> list[dict[str, Any]]:
    return [
        {"run": "r", "key": k, "step": s, "timestamp": t, "value": v, "is_nan": n}
        for k, s, t, v, n in points
    ]


def stored(connection: Connection) -> dict[str, tuple[int, int, float, bool]]:
    found = connection.execute(select(latest).order_by(latest.c.key))
    return {r.key: (r.step, r.timestamp, r.value, r.is_nan) for r in found}


def test_keep_greatest_compares_columns_in_turn(connection: Connection) -> None:
    upsert(connection, latest, rows(("a", 1, 10, 1.0, False), ("b", 1, 1, 0.0, True)), KEY, ORDER)
    upsert(
        connection,
        latest,
        rows(
            ("a", 1, 10, 0.5, False),  # smaller value: kept out
            ("a", 1, 9, 7.0, False),  # older timestamp: kept out
            ("b", 1, 1, 0.0, False),  # a tie: the stored row stays
            ("c", 0, 0, 2.0, False),  # new key: inserted
        ),
        KEY,
        ORDER,
    )
    assert stored(connection) == {
        "a": (1, 10, 1.0, False),
        "b": (1, 1, 0.0, True),
        "c": (0, 0, 2.0, False),
    }
    upsert(connection, latest, rows(("a", 2, 0, -1.0, False), ("b", 1, 2, -5.0, False)), KEY, ORDER)
    assert stored(connection)["a"] == (2, 0, -1.0, False)
    assert stored(connection)["b"] == (1, 2, -5.0, False)


def test_keep_greatest_reduces_repeated_keys_first(connection: Connection) -> None:
    points = rows(("a", 3, 1, 1.0, False), ("a", 3, 1, 4.0, False), ("a", 2, 9, 9.0, False))
    upsert(connection, latest, points, KEY, ORDER)
    assert stored(connection) == {"a": (3, 1, 4.0, False)}


def test_replace_takes_the_last_row_per_key(connection: Connection) -> None:
    upsert(connection, latest, rows(("a", 5, 5, 5.0, False)), KEY)
    upsert(connection, latest, rows(("a", 1, 1, 1.0, True), ("a", 0, 0, 0.0, False)), KEY)
    assert stored(connection) == {"a": (0, 0, 0.0, False)}


def test_insert_missing_leaves_stored_rows_alone(connection: Connection) -> None:
    insert_missing(connection, latest, rows(("a", 1, 1, 1.0, False)), KEY)
    insert_missing(connection, latest, rows(("a", 9, 9, 9.0, True), ("b", 2, 2, 2.0, False)), KEY)
    assert stored(connection) == {"a": (1, 1, 1.0, False), "b": (2, 2, 2.0, False)}


@pytest.mark.parametrize(
    "columns",
    [
        ("run", "key", "step", "timestamp", "value", "is_nan"),  # the table's order
        ("is_nan", "value", "key", "timestamp", "run", "step"),
    ],
)
def test_row_tuples_store_what_mappings_store(connection: Connection, columns: Any) -> None:
    def as_tuples(mappings: list[dict[str, Any]]) -> RowTuples:
        return RowTuples(columns, [tuple(row[name] for name in columns) for row in mappings])

    insert_missing(connection, latest, as_tuples(rows(("a", 1, 1, 1.0, False))), KEY)
    points = rows(("a", 2, 0, 0.5, False), ("b", 3, 3, 3.0, True), ("b", 4, 0, 0.0, False))
    upsert(connection, latest, as_tuples(points), KEY, ORDER)
    upsert(connection, latest, as_tuples(rows(("c", 0, 0, 7.0, False))), KEY)
    assert stored(connection) == {
        "a": (2, 0, 0.5, False),
        "b": (4, 0, 0.0, False),
        "c": (0, 0, 7.0, False),
    }


# Keys that the COPY text format must escape, and enough rows to be staged on PostgreSQL.
AWKWARD_KEYS = ["tab\there", "new\nline", "back\\slash", "carriage\rreturn", "\\N", "ünï"]
MANY = STAGE_MIN_ROWS + 50


def many_keys() -> list[str]:
    return AWKWARD_KEYS + [f"k{index:04}" for index in range(MANY - len(AWKWARD_KEYS))]


def test_insert_missing_many_rows_keeps_every_value_exactly(connection: Connection) -> None:
    keys = many_keys()
    insert_missing(connection, latest, rows(("k0007", 0, 0, 0.0, True)), KEY)
    points = rows(*((k, i, 2**40 + i, 1 / (i + 3), i % 2 == 0) for i, k in enumerate(keys)))
    insert_missing(connection, latest, points, KEY)
    expected = {k: (i, 2**40 + i, 1 / (i + 3), i % 2 == 0) for i, k in enumerate(keys)}
    expected["k0007"] = (0, 0, 0.0, True)
    assert stored(connection) == expected
    if dialect_for(connection.dialect.name).stages_rows_by_copy:
        staged = text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'trackstore_stage_%'")
        assert connection.execute(staged).scalar() == 1


def test_keep_greatest_many_rows_matches_few_rows(connection: Connection) -> None:
    keys = many_keys()
    upsert(connection, latest, rows(*((k, 5, 5, 5.0, False) for k in keys)), KEY, ORDER)
    newer = [(k, 5 + i % 3 - 1, 5, float(i), False) for i, k in enumerate(keys)]
    upsert(connection, latest, rows(*newer), KEY, ORDER)
    expected = {k: (*max((step, 5, value), (5, 5, 5.0)), False) for k, step, _, value, _ in newer}
    assert stored(connection) == expected


def test_many_rows_arrive_where_temporary_tables_are_not_allowed(fresh_backend: str) -> None:
    engine = make_engine(fresh_backend)
    if not dialect_for(engine.dialect.name).stages_rows_by_copy:
        engine.dispose()
        pytest.skip(f"{engine.dialect.name} never stages rows in a temporary table")
    try:
        with engine.begin() as connection:
            database = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(
                f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC, CURRENT_USER'
            )
        metadata.create_all(engine)
        with engine.begin() as connection:
            allowed = "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
            if connection.execute(text(allowed)).scalar():
                pytest.skip("this login is a superuser: it may always create temporary tables")
            keys = many_keys()
            insert_missing(connection, latest, rows(*((k, 1, 1, 1.0, False) for k in keys)), KEY)
            assert stored(connection) == {k: (1, 1, 1.0, False) for k in keys}
    finally:
        engine.dispose()
