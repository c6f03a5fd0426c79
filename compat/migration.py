"""Schema steps for revision scripts that run the same on every database, online and offline.

MySQL and MariaDB commit each DDL statement on its own, so a revision that fails part-way
leaves its first steps done while the recorded revision stays put. Every step here looks at the
live schema first and skips what is already there, which makes rerunning the revision finish
the job. Offline (`--sql`) there is nothing to look at, so every step is written out.
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import (
    ReflectedCheckConstraint,
    ReflectedForeignKeyConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeEngine

from compat.dialects import Dialect, dialect_for

# The name SQLite's batch copy gives a foreign key that was created without one.
UNNAMED_FOREIGN_KEY_CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"
}
# The name SQLite's batch copy gives a unique constraint that was created without one.
UNNAMED_UNIQUE_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def dialect() -> Dialect:
    """The compat dialect of the database the running migration talks to (or writes SQL for)."""
    return dialect_for(op.get_context().dialect.name)


def offline() -> bool:
    """True while writing SQL (`--sql`) rather than talking to a database."""
    return bool(op.get_context().as_sql)


def has_table(table: str) -> bool:
    return not offline() and sa.inspect(op.get_bind()).has_table(table)


def has_column(table: str, column: str) -> bool:
    if offline():
        return False
    return any(c["name"] == column for c in sa.inspect(op.get_bind()).get_columns(table))


def has_index(table: str, index: str) -> bool:
    return not offline() and sa.inspect(op.get_bind()).has_index(table, index)


def foreign_key_to(
    table: str, referred_table: str, columns: Sequence[str]
) -> ReflectedForeignKeyConstraint | None:
    """The live foreign key from `table`(`columns`) to `referred_table`; None offline."""
    if offline():
        return None
    for key in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if key["referred_table"] == referred_table and key["constrained_columns"] == list(columns):
            return key
    return None


def primary_key_columns(table: str) -> list[str] | None:
    """The columns of `table`'s live primary key, empty when it has none; None offline."""
    if offline():
        return None
    return list(sa.inspect(op.get_bind()).get_pk_constraint(table)["constrained_columns"])


def set_primary_key(batch: BatchOperations, table: str, name: str, columns: Sequence[str]) -> None:
    """Make `columns` the primary key `name` of `table`, which `batch` alters.

    A rerun after a failure between dropping the old key and creating the new one finds no
    key and only creates it; a rerun after success changes nothing.
    """
    live = primary_key_columns(table)
    if live == list(columns):
        return
    if live != []:
        batch.drop_constraint(name, type_="primary")
    batch.create_primary_key(name, list(columns))


def checks_on(table: str, column: str) -> list[ReflectedCheckConstraint]:
    """The live CHECK constraints of `table` whose SQL tests `column`; empty offline."""
    if offline():
        return []
    mentions = re.compile(rf"\b{re.escape(column)}\b")
    checks = sa.inspect(op.get_bind()).get_check_constraints(table)
    return [check for check in checks if mentions.search(check["sqltext"])]


def drop_checks_on(table: str, column: str, containing: str = "") -> None:
    """Drop the live CHECK constraints of `table` that test `column` (and whose SQL holds
    `containing`), by the names the database gave them; a rerun finds none left to drop."""
    for check in checks_on(table, column):
        if containing in check["sqltext"]:
            op.drop_constraint(str(check["name"]), table, type_="check")


def drop_surplus_checks(table: str, column: str, keep: int) -> None:
    """Drop the live CHECK constraints of `table` on `column` beyond the first `keep`.

    A rerun racing a killed statement that was still adding one can leave a CHECK too many; the
    oldest stay, by the number in the name the database gave each (CONSTRAINT_2 before _10).
    """
    names = sorted((str(check["name"]) for check in checks_on(table, column)), key=_numbered)
    for name in names[keep:]:
        op.drop_constraint(name, table, type_="check")


def _numbered(name: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def rebuild(table: sa.Table) -> None:
    """Copy the rows of `table.name` into a new table made exactly as `table` describes.

    SQLite cannot drop a constraint that has no name; rebuilding the table is its way.
    """
    with op.batch_alter_table(table.name, copy_from=table, recreate="always"):
        pass


def create_table_once(table: str, *elements: sa.schema.SchemaItem) -> None:
    """Create `table` unless it exists; its indexes are separate `create_index_once` steps."""
    if not has_table(table):
        op.create_table(table, *elements)


def create_index_once(
    index: str,
    table: str,
    columns: Sequence[str | sa.TextClause],
    *,
    unique: bool = False,
    **options: Any,
) -> None:
    """Create `index` unless it exists; a column may be an expression (`sa.text("c DESC")`);
    `options` are the dialect's own (see `Dialect.index_prefix_options`)."""
    if not has_index(table, index):
        op.create_index(index, table, list(columns), unique=unique, **options)


def add_column_once(table: str, column: sa.Column[Any]) -> None:
    if not has_column(table, column.name):
        op.add_column(table, column)


def drop_table_if_present(table: str) -> None:
    if offline() or has_table(table):
        op.drop_table(table)


def drop_index_if_present(index: str, table: str) -> None:
    if offline() or has_index(table, index):
        op.drop_index(index, table_name=table)


def drop_column_if_present(table: str, column: str, has_default: bool = True) -> None:
    """Drop `column`, and first its default where the database keeps that as a constraint
    (`has_default` False: the column never had one, so there is nothing to look for)."""
    if not offline() and not has_column(table, column):
        return
    drop_default = has_default and dialect().defaults_are_constraints
    op.drop_column(table, column, mssql_drop_default=drop_default)


def rename_column_once(
    table: str, old: str, new: str, type_: TypeEngine[Any], *, nullable: bool
) -> None:
    """Rename `old` to `new` unless that is done. Databases that rename by restating the whole
    column (MySQL) make it `nullable` as they do so; the others keep its nullability."""
    if offline() or has_column(table, old):
        op.alter_column(
            table, old, new_column_name=new, existing_type=type_, existing_nullable=nullable
        )


@contextmanager
def altering(
    table: str,
    copy_from: sa.Table | None = None,
    unnamed_foreign_keys: bool = False,
    unnamed_uniques: bool = False,
) -> Iterator[BatchOperations]:
    """Alter `table` in place, or on SQLite by copying it into a new one.

    Online SQLite reflects the table to copy; offline it cannot, so `copy_from` must describe
    the table as it stands. With `unnamed_foreign_keys` (`unnamed_uniques`), foreign keys
    (unique constraints) the database holds without a name are named by
    UNNAMED_FOREIGN_KEY_CONVENTION (UNNAMED_UNIQUE_CONVENTION) so that one of them can be dropped.
    """
    convention = {
        **(UNNAMED_FOREIGN_KEY_CONVENTION if unnamed_foreign_keys else {}),
        **(UNNAMED_UNIQUE_CONVENTION if unnamed_uniques else {}),
    }
    with op.batch_alter_table(
        table,
        copy_from=copy_from if offline() else None,
        naming_convention=convention or None,
    ) as batch:
        yield batch


def change_column_type(
    table: str,
    column: str,
    old_type: TypeEngine[Any],
    new_type: TypeEngine[Any],
    nullable: bool,
    copy_from: sa.Table | None = None,
) -> None:
    """Give `column` `new_type`, keeping its nullability (SQL Server would otherwise drop it).

    Rerunning is harmless: altering a column to the type it has changes nothing.
    """
    with altering(table, copy_from) as batch:
        batch.alter_column(
            column,
            existing_type=old_type,
            type_=new_type,
            existing_nullable=nullable,
            existing_server_default=None,
        )


def large_text() -> TypeEngine[Any]:
    """TEXT where it is unbounded in practice; MySQL's TEXT stops at 64 KiB."""
    return dialect().large_text_type()


def longest_text() -> TypeEngine[Any]:
    """TEXT where it is unbounded in practice; LONGTEXT (4 GiB) on MySQL."""
    return dialect().longest_text_type()


def has_trigger(trigger: str) -> bool:
    if offline():
        return False
    lookup = sa.text(dialect().trigger_lookup_sql)
    return op.get_bind().execute(lookup, {"name": trigger}).first() is not None


def forbid_changes_once(trigger: str, table: str, columns: Sequence[str], message: str) -> None:
    """Install `trigger`, which makes an UPDATE of `table` that changes any of `columns` (the
    key first) fail with `message`, unless it is already there."""
    if not has_trigger(trigger):
        for statement in dialect().forbid_changes_sql(trigger, table, columns, message):
            execute_with_body(statement)


# What ends a statement with a body in an offline script, where the client needs another.
BODY_DELIMITER = "//"


def execute_with_body(statement: str) -> None:
    """Run a statement whose body holds semicolons (a trigger's, a function's); an offline
    script wraps it in DELIMITER lines for a client that would cut it at them."""
    if offline() and dialect().client_splits_bodies:
        op.get_context().impl.static_output(
            f"DELIMITER {BODY_DELIMITER}\n{statement} {BODY_DELIMITER}\nDELIMITER ;"
        )
        return
    op.execute(statement)


def drop_trigger_if_present(trigger: str, table: str) -> None:
    for statement in dialect().drop_trigger_sql(trigger, table):
        op.execute(statement)


def unicode_text() -> TypeEngine[Any]:
    """The dialect's `unicode_text_type`: long text in any script."""
    return dialect().unicode_text_type()


def case_sensitive_string(length: int) -> TypeEngine[Any]:
    """The dialect's `case_sensitive_string_type`."""
    return dialect().case_sensitive_string_type(length)


def json_type() -> TypeEngine[Any]:
    """The dialect's `json_type`."""
    return dialect().json_type()


def replace_foreign_key(
    table: str,
    referred_table: str,
    columns: Sequence[str],
    referred_columns: Sequence[str],
    *,
    old_name: str | None,
    new_name: str | None,
    ondelete: str | None,
    copy_from: sa.Table | None = None,
) -> None:
    """Swap the foreign key from `table`(`columns`) to `referred_table` for a new definition.

    `old_name` is the key's name before the swap (None: one the database chose), `new_name`
    the name after it (None: let the database choose). Nothing happens when the wanted key is
    already in place, so a rerun after a failure between the drop and the create completes it.
    """
    current = foreign_key_to(table, referred_table, columns)
    if current is not None and _is_wanted(current, new_name, ondelete):
        return
    if dialect().alters_by_copying_table and new_name is None:
        _copy_with_unnamed_key(table, referred_table, columns, referred_columns, ondelete)
        return
    drop_name = current["name"] if current is not None else old_name
    if dialect().alters_by_copying_table:
        with altering(table, copy_from, unnamed_foreign_keys=drop_name is None) as batch:
            batch.drop_constraint(
                drop_name or _conventional_name(table, columns, referred_table), type_="foreignkey"
            )
            batch.create_foreign_key(
                new_name, referred_table, list(columns), list(referred_columns), ondelete=ondelete
            )
        return
    if current is not None or offline():
        _drop_foreign_key(table, drop_name, columns, referred_table)
    op.create_foreign_key(
        new_name, table, referred_table, list(columns), list(referred_columns), ondelete=ondelete
    )


def _drop_foreign_key(
    table: str, name: str | None, columns: Sequence[str], referred_table: str
) -> None:
    """Drop a key by name, or, when the database chose the name, by looking it up in SQL."""
    if name is not None:
        op.drop_constraint(name, table, type_="foreignkey")
        return
    for statement in dialect().drop_unnamed_foreign_key_sql(table, columns, referred_table):
        op.execute(statement)


def _copy_with_unnamed_key(
    table: str,
    referred_table: str,
    columns: Sequence[str],
    referred_columns: Sequence[str],
    ondelete: str | None,
) -> None:
    """Copy `table` with an unnamed key on its single column `columns[0]`.

    A batch copy cannot add a constraint without a name, but a column given to the reflection
    replaces the reflected one together with its keys, and brings its own unnamed key along.
    That reflection forgets the primary key's name, which is put back before copying.
    """
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    (column,) = columns
    live = next(c for c in inspector.get_columns(table) if c["name"] == column)
    primary_key = inspector.get_pk_constraint(table)
    default = live.get("default")
    replacement = sa.Column(
        column,
        live["type"],
        sa.ForeignKey(f"{referred_table}.{referred_columns[0]}", ondelete=ondelete),
        nullable=live["nullable"],
        primary_key=column in primary_key["constrained_columns"],
        server_default=sa.text(default) if default is not None else None,
    )
    source = sa.Table(table, sa.MetaData(), replacement, autoload_with=bind)
    source.primary_key.name = primary_key.get("name")
    with op.batch_alter_table(table, recreate="always", copy_from=source):
        pass


def _is_wanted(key: ReflectedForeignKeyConstraint, name: str | None, ondelete: str | None) -> bool:
    live_ondelete = (key.get("options") or {}).get("ondelete") or ""
    names_match = name is None or key["name"] == name
    return names_match and live_ondelete.upper() == (ondelete or "").upper()


def _conventional_name(table: str, columns: Sequence[str], referred_table: str) -> str:
    return UNNAMED_FOREIGN_KEY_CONVENTION["fk"] % {
        "table_name": table,
        "column_0_name": columns[0],
        "referred_table_name": referred_table,
    }


def prepare_bulk_query() -> None:
    """Set up the running revision's transaction for one query over a whole large table, as the
    dialect's `bulk_query_setup` says; the settings end with the transaction."""
    for statement in dialect().bulk_query_setup:
        op.execute(statement)


def greatest_in_order(columns: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """An aggregate: the greatest of `columns` taken together, compared in order (the second
    decides among equal firsts), as an array to subscript from 1.

    Only where the dialect has `max_compares_arrays_and_lateral`; the columns share one type
    and hold no NULL.
    """
    return sa.func.max(postgresql.array(columns))


# What plain TEXT holds where the dialect's `small_text` is set, in bytes.
SMALL_TEXT_BYTES = 65_535


class TooLargeForText(sa.sql.ColumnElement[bool]):
    """True for a value of `column` larger than plain TEXT holds; never true where TEXT is big.

    The database is only known when the statement is compiled, which is when this decides.
    """

    type = sa.Boolean()
    inherit_cache = False

    def __init__(self, column: sa.ColumnClause[str]) -> None:
        self.column = column


@compiles(TooLargeForText)
def _compile_too_large_for_text(element: TooLargeForText, compiler: Any, **kw: Any) -> str:
    if not dialect_for(compiler.dialect.name).small_text:
        return "1 = 0"
    return str(compiler.process(sa.func.octet_length(element.column) > SMALL_TEXT_BYTES, **kw))


def unique_on(table: str, columns: Sequence[str]) -> str | None:
    """The name of the live unique constraint (or unique index) over exactly `columns`; None
    offline or when there is none. SQL Server's inspector lists its unique constraints only
    among the indexes."""
    if offline():
        return None
    inspector = sa.inspect(op.get_bind())
    found: list[tuple[str | None, list[str]]] = []
    try:
        for unique in inspector.get_unique_constraints(table):
            found.append((unique["name"], [str(c) for c in unique["column_names"]]))
    except NotImplementedError:
        pass
    for index in inspector.get_indexes(table):
        if index["unique"]:
            found.append((index["name"], [str(c) for c in index["column_names"]]))
    wanted = [str(c) for c in columns]
    return next((str(name or "") for name, names in found if names == wanted), None)


def drop_unnamed_unique(table: str, columns: Sequence[str]) -> None:
    """Drop the unique constraint over `columns` that the database named itself, if any.

    Offline the name is not known; the dialect's SQL finds it when the script runs.
    """
    if offline():
        for statement in dialect().drop_unnamed_unique_sql(table, columns):
            op.execute(statement)
        return
    name = unique_on(table, columns)
    if name is not None:
        op.drop_constraint(name, table, type_="unique")


def create_unique_once(name: str | None, table: str, columns: Sequence[str]) -> None:
    """A unique constraint over `columns` (None: named by the database), unless one is there."""
    if unique_on(table, columns) is None:
        op.create_unique_constraint(name, table, list(columns))


def drop_unique_if_present(name: str, table: str) -> None:
    if offline() or has_index(table, name):
        op.drop_constraint(name, table, type_="unique")


def drop_foreign_key_to(
    table: str, referred_table: str, columns: Sequence[str], name: str | None
) -> None:
    """Drop the key from `table`(`columns`) to `referred_table`, if there is one; `name` is its
    name offline (None: the database chose it, and the dialect's SQL looks it up)."""
    live = foreign_key_to(table, referred_table, columns)
    if live is not None:
        _drop_foreign_key(table, live["name"], columns, referred_table)
    elif offline():
        _drop_foreign_key(table, name, columns, referred_table)


def create_foreign_key_once(
    name: str | None,
    table: str,
    referred_table: str,
    columns: Sequence[str],
    *,
    onupdate: str | None = None,
    ondelete: str | None = None,
) -> None:
    """A key from `table`(`columns`) to the same columns of `referred_table`, unless one is
    there (None: named by the database)."""
    if foreign_key_to(table, referred_table, columns) is None:
        op.create_foreign_key(
            name,
            table,
            referred_table,
            list(columns),
            list(columns),
            onupdate=onupdate,
            ondelete=ondelete,
        )


def recreate_index_once(index: str, table: str, columns: Sequence[str]) -> None:
    """Make `index` cover `columns`: dropped where it covers others, created where missing."""
    live = None if offline() else _index_columns(table, index)
    if live == list(columns):
        return
    if offline() or live is not None:
        op.drop_index(index, table_name=table)
    op.create_index(index, table, list(columns))


def _index_columns(table: str, index: str) -> list[str] | None:
    indexes = sa.inspect(op.get_bind()).get_indexes(table)
    return next(([str(c) for c in i["column_names"]] for i in indexes if i["name"] == index), None)


def copy_without(table: sa.Table, columns: Sequence[str]) -> None:
    """Copy the rows of `table.name` into a new table made as `table` describes, less `columns`.

    `table` describes the live table's columns, and the keys wanted afterwards: a batch copy
    cannot add a key without a name, but keeps those of the table it copies from.
    """
    with op.batch_alter_table(table.name, copy_from=table, recreate="always") as batch:
        for column in columns:
            batch.drop_column(column)


class WhereCaseInsensitive(sa.sql.ColumnElement[bool]):
    """`condition` where key columns ignore case unless given a collation of their own (see
    `case_sensitive_key_collation`); false elsewhere, where keys never ignored case. Decided
    when compiled."""

    type = sa.Boolean()
    inherit_cache = False

    def __init__(self, condition: sa.ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(WhereCaseInsensitive)
def _compile_where_case_insensitive(element: WhereCaseInsensitive, compiler: Any, **kw: Any) -> str:
    if not dialect_for(compiler.dialect.name).case_sensitive_key_collation:
        return "1 = 0"
    return str(compiler.process(element.condition, **kw))
