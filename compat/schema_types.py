"""Schema pieces whose DDL differs by database, for head models that must match each one.

The models declare these once; which spelling a database gets is decided here, from the
dialect flags, when the DDL is compiled, so the store never names a database.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UnicodeText,
    event,
)
from sqlalchemy.engine import Dialect as SQLAlchemyDialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import DDL, CreateColumn, Table
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

from compat.dialects import dialect_for
from compat.dialects.base import registered_dialects

# Column.info key: the dialect flag under which a NOT NULL column is created nullable.
NULLABLE_WHERE = "trackstore_nullable_where"


class LargeText(TypeDecorator[str]):
    """Text that holds documents over 64 KiB: TEXT, or `large_text_type()` where TEXT is small."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(dialect_for(dialect.name).large_text_type())


class LargeUnicodeText(TypeDecorator[str]):
    """Like LargeText, but national characters where the database tells them apart
    (NVARCHAR(max) on SQL Server)."""

    impl = UnicodeText
    cache_ok = True

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(dialect_for(dialect.name).unicode_text_type())


class LongestText(TypeDecorator[str]):
    """Text for documents of any size the database holds: `longest_text_type()`."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(dialect_for(dialect.name).longest_text_type())


class CaseSensitiveString(TypeDecorator[str]):
    """A VARCHAR whose equality tells case apart, with a binary collation where the default
    collation does not."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        ours = dialect_for(dialect.name)
        return dialect.type_descriptor(ours.case_sensitive_string_type(self.length))


class BigSerial(TypeDecorator[int]):
    """A numbering primary key: BIGINT, or INTEGER where only that numbers rows itself."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        integer = dialect_for(dialect.name).autoincrement_needs_integer
        return dialect.type_descriptor(Integer() if integer else BigInteger())


DdlCondition = Callable[..., bool]


def where_flag(flag: str) -> DdlCondition:
    """A `ddl_if(callable_=...)` condition: emit the element only where dialect `flag` is set."""

    def condition(*_args: Any, dialect: SQLAlchemyDialect, **_kwargs: Any) -> bool:
        return bool(getattr(dialect_for(dialect.name), flag))

    return condition


def nullable_where(flag: str) -> dict[str, str]:
    """Column `info` making a NOT NULL column nullable where dialect `flag` is set: for a column
    MLflow's chain leaves nullable on some databases only."""
    return {NULLABLE_WHERE: flag}


@compiles(CreateColumn)
def _create_column(element: CreateColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spelled: str = compiler.visit_create_column(element, **kw)  # type: ignore[no-untyped-call]
    flag = element.element.info.get(NULLABLE_WHERE)
    if spelled and flag and getattr(dialect_for(compiler.dialect.name), flag):
        return spelled.replace(" NOT NULL", " NULL")
    return spelled


def immutable_columns_trigger(
    table: Table, name: str, columns: Sequence[str], message: str
) -> None:
    """Create trigger `name` with `table` (after its CREATE TABLE), refusing updates that change
    `columns`; each database gets its own spelling of it."""

    def statements(_table: Table, bind: Any, **_kw: Any) -> None:
        ours = dialect_for(bind.dialect.name)
        for sql in ours.forbid_changes_sql(name, table.name, columns, message):
            bind.execute(DDL(sql.replace("%", "%%")))  # type: ignore[no-untyped-call]

    event.listen(table, "after_create", statements)


def prefixed_index(name: str, *columns: Any, prefixes: Mapping[str, int]) -> Index:
    """An index that, where keys are short, holds only the first characters of `prefixes`'
    columns (a count per column name)."""
    options: dict[str, Any] = {}
    for dialect in registered_dialects():
        options.update(dialect.index_prefix_options(prefixes))
    return Index(name, *columns, **options)


def covering_index(name: str, *columns: Any, include: Sequence[str], where: str) -> Index:
    """An index on `columns` that, where the database can, also holds the `include` columns and
    only the rows where `where` holds: a query reading just those is answered from the index."""
    options: dict[str, Any] = {}
    for dialect in registered_dialects():
        options.update(dialect.partial_covering_index_options(include, where))
    return Index(name, *columns, **options)
