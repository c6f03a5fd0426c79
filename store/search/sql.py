"""Comparisons from a parsed search as SQLAlchemy expressions, values always bound.

String comparisons are case-sensitive on every database: where the database's own =, LIKE
and IN ignore case, the dialect's case-sensitive form of the column is compared as well,
beside the plain comparison that lets an index narrow the rows first.
"""

from typing import Any

from sqlalchemy import String, and_, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.search.parser import Value

_SENSITIVE = frozenset({"=", "!=", "LIKE", "IN", "NOT IN"})


def compare(
    column: ColumnElement[Any], comparator: str, value: Value, dialect: Dialect
) -> ColumnElement[bool]:
    """`column comparator value`, e.g. compare(runs.c.status, "IN", ("RUNNING",), dialect)."""
    if (
        dialect.case_sensitive_equality
        or comparator not in _SENSITIVE
        or not isinstance(column.type, String)
    ):
        return _plain(column, comparator, value)
    exact = dialect.case_sensitive(column)
    if comparator == "!=":
        return or_(column != value, exact != value)
    if comparator == "NOT IN":
        return not_(and_(_plain(column, "IN", value), _plain(exact, "IN", value)))
    return and_(_plain(column, comparator, value), _plain(exact, comparator, value))


def _plain(column: ColumnElement[Any], comparator: str, value: Value) -> ColumnElement[bool]:
    if comparator in ("IN", "NOT IN"):
        members = column.in_(list(value) if isinstance(value, tuple) else [value])
        return members if comparator == "IN" else not_(members)
    if comparator == "LIKE":
        return column.like(value)
    if comparator == "ILIKE":
        return column.ilike(value)
    if comparator in ("IS NULL", "IS NOT NULL"):
        return column.is_(None) if comparator == "IS NULL" else column.is_not(None)
    operations = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    return operations[comparator](value)
