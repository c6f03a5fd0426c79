"""Set-based insert-or-update, spelled the way each database spells it (`upsert_method`).

Both functions send all rows in one executemany (one statement per row only on SQL Server),
or, for many rows on PostgreSQL, in one COPY and one INSERT ... SELECT. Rows are mappings of
column name to value, all with the same columns, or a `RowTuples`.
"""

import functools
import hashlib
import importlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, and_, case, literal_column, or_, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from compat.copy_text import copy_text
from compat.dialects import Dialect, dialect_for

Row = Mapping[str, Any]
# One row's VALUES group as SQLAlchemy renders it in the pyformat paramstyle.
_PYFORMAT_ROW = re.compile(r"\((?:%\(\w+\)s, )*%\(\w+\)s\)")
# Fewer rows than this go as one VALUES statement: staging them costs two more round trips.
STAGE_MIN_ROWS = 200
# Drivers whose executemany batches the rows itself.
BATCHING_DRIVERS = frozenset({"pysqlite", "pymysql", "mysqldb", "pyodbc"})
Columns = Sequence[ColumnElement[Any]]


@dataclass(frozen=True)
class RowTuples:
    """Rows as tuples of values in `columns` order.

    A batch of a thousand rows is several times cheaper to build as tuples than as mappings,
    and a driver with a positional paramstyle takes the tuples as they are.
    """

    columns: tuple[str, ...]
    values: Sequence[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.values)

    def pick(self, names: Sequence[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """A function giving a row's values of `names`, as a tuple."""
        return _getter([self.columns.index(name) for name in names])

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


Rows = Sequence[Row] | RowTuples


def as_tuples(rows: Rows) -> RowTuples:
    """`rows` as a RowTuples, its columns in the first mapping's order."""
    if isinstance(rows, RowTuples):
        return rows
    columns = tuple(rows[0])
    pick = _getter(columns)
    return RowTuples(columns, [pick(row) for row in rows])


def _getter(items: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """itemgetter that gives a tuple for one item too."""
    if len(items) == 1:
        only = items[0]
        return lambda row: (row[only],)
    return itemgetter(*items)


def insert_missing(connection: Connection, table: Table, rows: Rows, key: Sequence[str]) -> None:
    """Insert the rows whose `key` is not in `table` yet; rows already there stay as they are.

    Rows are sent as given: a key repeated among them is inserted once.
    """
    if rows:
        _write(connection, table, as_tuples(rows), tuple(key), None)


def upsert(
    connection: Connection,
    table: Table,
    rows: Rows,
    key: Sequence[str],
    greatest_by: Sequence[str] = (),
) -> None:
    """Insert each row, or, where its `key` is stored already, write its other columns over it.

    With `greatest_by`, a stored row is overwritten only by a row that is strictly greater by
    those columns compared in turn (ties keep what is stored), and of rows repeating a key the
    greatest is sent; without it, the last row for a key wins. The database compares, so the
    stored rows need no reading first. Rows go in key order, so that concurrent writers lock
    them in the same order.
    """
    if not rows:
        return
    batch = as_tuples(rows)
    identity = batch.pick(key)
    if greatest_by:
        chosen = _greatest_per_key(batch.values, identity, batch.pick(greatest_by))
    else:
        chosen = list({identity(row): row for row in batch.values}.values())
    ordered = RowTuples(batch.columns, sorted(chosen, key=identity))
    _write(connection, table, ordered, tuple(key), tuple(greatest_by))


def _write(
    connection: Connection,
    table: Table,
    rows: RowTuples,
    key: tuple[str, ...],
    greatest_by: tuple[str, ...] | None,
) -> None:
    """Insert `rows`; on a key conflict do nothing (greatest_by None) or update (see upsert)."""
    dialect = dialect_for(connection.dialect.name)
    method = dialect.upsert_method
    columns = rows.columns
    if _stages(dialect, connection, rows):
        text = copy_text(rows.values)
        if text is not None:
            _stage_and_insert(connection, method, table, columns, key, greatest_by, text)
            return
    order = list(greatest_by or ())
    carry = [] if greatest_by is None else [c for c in columns if c not in key and c not in order]
    if method == "merge":
        _merge(connection, table, rows.mappings(), key, order, carry)
        return
    prepared = _prepared(connection.dialect, method, table, columns, key, greatest_by)
    if prepared.row_template is not None:
        _execute_values(connection, prepared, rows.mappings())
    elif prepared.sql is None:
        connection.execute(prepared.statement, rows.mappings())
    elif prepared.names is None:
        connection.exec_driver_sql(prepared.sql, rows.mappings())
    elif prepared.names == columns:
        connection.exec_driver_sql(prepared.sql, list(rows.values))
    else:
        values = rows.pick(prepared.names)
        connection.exec_driver_sql(prepared.sql, [values(row) for row in rows.values])


def _stages(dialect: Dialect, connection: Connection, rows: RowTuples) -> bool:
    return len(rows) >= STAGE_MIN_ROWS and dialect.may_stage_rows(connection)


def _stage_and_insert(
    connection: Connection,
    method: str,
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    greatest_by: tuple[str, ...] | None,
    text: io.StringIO,
) -> None:
    """COPY the rows into a temporary table, then insert them from it in one statement that
    has the same conflict clause as the VALUES insert. The temporary table lives as long as
    the connection; it is emptied after each use, as one transaction may stage twice, and
    truncated at commit, so that deleted rows do not pile up (autovacuum skips temporary
    tables)."""
    create, copy, insert = _staging_sql(
        connection.dialect, method, table, columns, key, greatest_by
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(create)
        cursor.copy_expert(copy, text)
        cursor.execute(insert)
    finally:
        cursor.close()


@functools.lru_cache(maxsize=64)
def _staging_sql(
    dialect: Any,
    method: str,
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    greatest_by: tuple[str, ...] | None,
) -> tuple[str, str, str]:
    """CREATE of the staging table, its COPY, and the INSERT ... SELECT out of it.

    The staging table holds only `columns` and no constraints, so the target's defaults and
    checks apply at the INSERT. An upsert reads the rows in key order, as `upsert` sends them.
    """
    quote = dialect.identifier_preparer.quote
    digest = hashlib.sha1(",".join(columns).encode()).hexdigest()[:10]
    stage = sql_table(f"trackstore_stage_{table.name[:30]}_{digest}", *map(sql_column, columns))
    names = ", ".join(quote(name) for name in columns)
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(stage.name)} ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM {dialect.identifier_preparer.format_table(table)} WITH NO DATA"
    )
    source = select(*stage.c)
    if greatest_by is not None:
        source = source.order_by(*(stage.c[name] for name in key))
    insert = _on_key_conflict(
        _dialect_insert(dialect, table).from_select(list(columns), source),
        method,
        table,
        columns,
        key,
        greatest_by,
    )
    copy = f"COPY {quote(stage.name)} ({names}) FROM STDIN"
    return create, copy, f"{insert.compile(dialect=dialect)}; DELETE FROM {quote(stage.name)}"


def _execute_values(connection: Connection, prepared: "_Prepared", rows: Sequence[Row]) -> None:
    """psycopg2's execute_values: all rows in one multi-row VALUES statement."""
    from psycopg2.extras import execute_values

    cursor = connection.connection.cursor()
    try:
        execute_values(
            cursor, prepared.sql, rows, template=prepared.row_template, page_size=len(rows)
        )
    finally:
        cursor.close()


@dataclass(frozen=True)
class _Prepared:
    """An upsert statement and how its rows travel.

    With no `sql`, SQLAlchemy executes `statement` for the rows. Otherwise the driver gets
    `sql` and the rows: as mappings, or as tuples in `names` order for a positional
    paramstyle, or (psycopg2) through execute_values, which repeats `row_template` per row.
    """

    statement: Any
    sql: str | None = None
    names: tuple[str, ...] | None = None
    row_template: str | None = None


@functools.lru_cache(maxsize=256)
def _prepared(
    dialect: Any,
    method: str,
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    greatest_by: tuple[str, ...] | None,
) -> _Prepared:
    """Build and compile a statement once per shape; batches of one shape repeat a lot.

    Where the driver's own executemany sends the rows in one go (SQLite's C loop, PyMySQL's
    multi-row INSERT, pyodbc's fast_executemany), rows go to it as they are: SQLAlchemy's
    per-row parameter handling would cost more than the database's work. psycopg2's
    executemany sends one statement per row, so its execute_values builds one multi-row
    VALUES statement instead.
    """
    stmt = _on_key_conflict(
        _dialect_insert(dialect, table), method, table, columns, key, greatest_by
    )
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.params)
    one_row = _PYFORMAT_ROW.search(str(compiled))
    if not set(names) <= set(columns):
        return _Prepared(stmt)
    if dialect.driver == "psycopg2" and one_row is not None:
        sql = str(compiled)
        return _Prepared(
            stmt, sql[: one_row.start()] + "%s" + sql[one_row.end() :], None, one_row[0]
        )
    if dialect.driver in BATCHING_DRIVERS:
        return _Prepared(stmt, str(compiled), names if compiled.positional else None)
    if method == "on_conflict":
        # SQLAlchemy batches rows into multi-row VALUES ("insertmanyvalues") for an ON
        # CONFLICT insert only when it returns something; rows here repeat no key.
        stmt = stmt.returning(table.c[key[0]])
    return _Prepared(stmt)


def _dialect_insert(dialect: Any, table: Table) -> Any:
    """The dialect's own INSERT construct, which knows its conflict clause."""
    return importlib.import_module(f"sqlalchemy.dialects.{dialect.name}").insert(table)


def _on_key_conflict(
    stmt: Any,
    method: str,
    table: Table,
    columns: Sequence[str],
    key: tuple[str, ...],
    greatest_by: tuple[str, ...] | None,
) -> Any:
    """`stmt` with the clause that skips (greatest_by None) or updates rows already stored."""
    order = list(greatest_by or ())
    carry = [c for c in columns if c not in key and c not in order]
    if method == "on_conflict" and greatest_by is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    elif method == "on_conflict":
        incoming = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={name: incoming[name] for name in (*order, *carry)},
            where=greater([incoming[n] for n in order], [table.c[n] for n in order])
            if order
            else None,
        )
    elif greatest_by is None:
        stmt = stmt.on_duplicate_key_update({key[0]: table.c[key[0]]})
    else:
        stmt = stmt.on_duplicate_key_update(
            _ordered_assignments(table, stmt.inserted, order, carry)
        )
    return stmt


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


def _greatest_per_key(
    rows: Sequence[tuple[Any, ...]],
    identity: Callable[[tuple[Any, ...]], Any],
    rank: Callable[[tuple[Any, ...]], Any],
) -> list[tuple[Any, ...]]:
    best: dict[Any, tuple[Any, ...]] = {}
    for row in rows:
        key = identity(row)
        held = best.get(key)
        if held is None or rank(row) > rank(held):
            best[key] = row
    return list(best.values())
