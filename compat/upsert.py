"""Set-based insert-or-update, spelled the way each database spells it (`upsert_method`).

Both functions send all rows in one executemany (one statement per row only on SQL Server),
in key order so that concurrent writers lock rows in the same order. Rows are mappings of
column name to value; rows repeating a key are first reduced to one.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, case, literal_column, or_, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from compat.dialects import dialect_for

Row = Mapping[str, Any]
Columns = Sequence[ColumnElement[Any]]


def insert_missing(
    connection: Connection, table: Table, rows: Sequence[Row], key: Sequence[str]
) -> None:
    """Insert the rows whose `key` is not in `table` yet; rows already there stay as they are."""
    unique = _sorted(_first_per_key(rows, key), key)
    if not unique:
        return
    method = dialect_for(connection.dialect.name).upsert_method
    if method == "merge":
        _merge(connection, table, unique, key, [], [])
        return
    stmt = _dialect_insert(connection)(table)
    if method == "on_conflict":
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    else:
        stmt = stmt.on_duplicate_key_update({key[0]: table.c[key[0]]})
    connection.execute(stmt, unique)


def upsert_greatest(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    key: Sequence[str],
    order: Sequence[str],
    carry: Sequence[str] = (),
) -> None:
    """Keep, for each `key`, the row that is greatest by the `order` columns compared in turn.

    A new key is inserted; an existing row is replaced (its `order` and `carry` columns) only
    when the incoming row is strictly greater, so ties keep what is stored. Values are compared
    by the database, so the stored row needs no reading first.
    """
    best = _sorted(_greatest_per_key(rows, key, order), key)
    if not best:
        return
    method = dialect_for(connection.dialect.name).upsert_method
    if method == "merge":
        _merge(connection, table, best, key, order, carry)
        return
    stmt = _dialect_insert(connection)(table)
    stored = [table.c[name] for name in order]
    if method == "on_conflict":
        incoming = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={name: incoming[name] for name in (*order, *carry)},
            where=greater([incoming[name] for name in order], stored),
        )
    else:
        stmt = stmt.on_duplicate_key_update(
            _ordered_assignments(table, stmt.inserted, order, carry)
        )
    connection.execute(stmt, best)


def greater(left: Columns, right: Columns) -> ColumnElement[bool]:
    """`left` > `right` compared column by column (a row-value comparison, spelled portably)."""
    head = left[0] > right[0]
    if len(left) == 1:
        return head
    return or_(head, and_(left[0] == right[0], greater(left[1:], right[1:])))


def _ordered_assignments(
    table: Table, incoming: Any, order: Sequence[str], carry: Sequence[str]
) -> list[tuple[str, ColumnElement[Any]]]:
    """ON DUPLICATE KEY UPDATE assignments that are right although MySQL runs them in turn.

    Each assignment already sees the columns assigned before it. So the `carry` columns go
    first, tested on the whole stored row; then the `order` columns from last to first, each
    tested only on the prefix up to itself, which is still as stored. When a shorter prefix is
    not greater but the whole row is, the prefixes are equal and keeping the stored value is
    the same as taking the incoming one.
    """

    def chosen(name: str, prefix: Sequence[str]) -> ColumnElement[Any]:
        test = greater([incoming[n] for n in prefix], [table.c[n] for n in prefix])
        return case((test, incoming[name]), else_=table.c[name])

    assignments = [(name, chosen(name, order)) for name in carry]
    for index in reversed(range(len(order))):
        assignments.append((order[index], chosen(order[index], order[: index + 1])))
    return assignments


def _merge(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    key: Sequence[str],
    order: Sequence[str],
    carry: Sequence[str],
) -> None:
    """SQL Server's MERGE, one bound statement executed for every row."""
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    source = ", ".join(f":{name} AS {quote(name)}" for name in columns)
    matches = " AND ".join(f"t.{quote(name)} = s.{quote(name)}" for name in key)
    sql = f"MERGE INTO {quote(table.name)} WITH (HOLDLOCK) AS t USING (SELECT {source}) AS s "
    sql += f"ON {matches} "
    if order:
        newer = greater(
            [literal_column(f"s.{quote(name)}") for name in order],
            [literal_column(f"t.{quote(name)}") for name in order],
        ).compile(connection)
        updates = ", ".join(f"t.{quote(name)} = s.{quote(name)}" for name in (*order, *carry))
        sql += f"WHEN MATCHED AND ({newer}) THEN UPDATE SET {updates} "
    names = ", ".join(quote(name) for name in columns)
    values = ", ".join(f"s.{quote(name)}" for name in columns)
    sql += f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values});"
    connection.execute(text(sql), list(rows))


def _dialect_insert(connection: Connection) -> Callable[[Table], Any]:
    """The `insert` of SQLAlchemy's module for this database, which knows its upsert clauses."""
    module = importlib.import_module(f"sqlalchemy.dialects.{connection.dialect.name}")
    return module.insert  # type: ignore[no-any-return]


def _first_per_key(rows: Sequence[Row], key: Sequence[str]) -> list[Row]:
    unique: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        unique.setdefault(tuple(row[name] for name in key), row)
    return list(unique.values())


def _greatest_per_key(rows: Sequence[Row], key: Sequence[str], order: Sequence[str]) -> list[Row]:
    best: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        identity = tuple(row[name] for name in key)
        held = best.get(identity)
        if held is None or tuple(row[n] for n in order) > tuple(held[n] for n in order):
            best[identity] = row
    return list(best.values())


def _sorted(rows: list[Row], key: Sequence[str]) -> list[Row]:
    return sorted(rows, key=lambda row: tuple(row[name] for name in key))
