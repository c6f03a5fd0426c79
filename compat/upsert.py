"""Set-based insert-or-update, spelled the way each database spells it (`upsert_method`).

Both functions send all rows in one executemany (one statement per row only on SQL Server),
in key order so that concurrent writers lock rows in the same order. Rows are mappings of
column name to value; rows repeating a key are first reduced to one.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
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


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    key: Sequence[str],
    greatest_by: Sequence[str] = (),
) -> None:
    """Insert each row, or, where its `key` is stored already, write its other columns over it.

    With `greatest_by`, a stored row is overwritten only by a row that is strictly greater by
    those columns compared in turn (ties keep what is stored), and of rows repeating a key the
    greatest is sent; without it, the last row for a key wins. The database compares, so the
    stored rows need no reading first.
    """
    if greatest_by:
        chosen = _greatest_per_key(rows, key, greatest_by)
    else:
        identity = itemgetter(*key)
        chosen = list({identity(row): row for row in rows}.values())
    chosen = _sorted(chosen, key)
    if not chosen:
        return
    order = list(greatest_by)
    carry = [name for name in chosen[0] if name not in key and name not in greatest_by]
    method = dialect_for(connection.dialect.name).upsert_method
    if method == "merge":
        _merge(connection, table, chosen, key, order, carry)
        return
    stmt = _dialect_insert(connection)(table)
    if method == "on_conflict":
        incoming = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={name: incoming[name] for name in (*order, *carry)},
            where=greater([incoming[n] for n in order], [table.c[n] for n in order])
            if order
            else None,
        )
    else:
        stmt = stmt.on_duplicate_key_update(
            _ordered_assignments(table, stmt.inserted, order, carry)
        )
    connection.execute(stmt, chosen)


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
        if not prefix:
            return incoming[name]  # type: ignore[no-any-return]
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
    """SQL Server's MERGE, one bound statement executed for every row (no update columns:
    insert only)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    source = ", ".join(f":{name} AS {quote(name)}" for name in columns)
    matches = " AND ".join(f"t.{quote(name)} = s.{quote(name)}" for name in key)
    sql = f"MERGE INTO {quote(table.name)} WITH (HOLDLOCK) AS t USING (SELECT {source}) AS s "
    sql += f"ON {matches} "
    updates = ", ".join(f"t.{quote(name)} = s.{quote(name)}" for name in (*order, *carry))
    if order:
        newer = greater(
            [literal_column(f"s.{quote(name)}") for name in order],
            [literal_column(f"t.{quote(name)}") for name in order],
        ).compile(connection)
        sql += f"WHEN MATCHED AND ({newer}) THEN UPDATE SET {updates} "
    elif updates:
        sql += f"WHEN MATCHED THEN UPDATE SET {updates} "
    names = ", ".join(quote(name) for name in columns)
    values = ", ".join(f"s.{quote(name)}" for name in columns)
    sql += f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values});"
    connection.execute(text(sql), list(rows))


def _dialect_insert(connection: Connection) -> Callable[[Table], Any]:
    """The `insert` of SQLAlchemy's module for this database, which knows its upsert clauses."""
    module = importlib.import_module(f"sqlalchemy.dialects.{connection.dialect.name}")
    return module.insert  # type: ignore[no-any-return]


def _first_per_key(rows: Sequence[Row], key: Sequence[str]) -> list[Row]:
    unique: dict[Any, Row] = {}
    identity = itemgetter(*key)
    for row in rows:
        unique.setdefault(identity(row), row)
    return list(unique.values())


def _greatest_per_key(rows: Sequence[Row], key: Sequence[str], order: Sequence[str]) -> list[Row]:
    best: dict[Any, Row] = {}
    identity, rank = itemgetter(*key), itemgetter(*order)
    for row in rows:
        held = best.setdefault(identity(row), row)
        if held is not row and rank(row) > rank(held):
            best[identity(row)] = row
    return list(best.values())


def _sorted(rows: list[Row], key: Sequence[str]) -> list[Row]:
    return sorted(rows, key=itemgetter(*key))
