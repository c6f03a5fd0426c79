"""The trace search: its grammar, and its filters and order_by clauses as SQLAlchemy.

`name` is the trace name tag and `run_id` the source run metadata entry, as in MLflow 3.1.4.
Tags and request metadata compare with = and != only. Rows missing a sorted value come last;
then newest first, then request id.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table, and_, case, exists
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.tables import trace_info, trace_request_metadata, trace_tags
from store.search.grammar import EQUALITY, MEMBERSHIP, NUMBER, Entity, Field, Grammar, ValueKind
from store.search.parser import Comparison, OrderBy
from store.search.sql import compare

TRACE_NAME_TAG = "mlflow.traceName"
SOURCE_RUN_METADATA = "mlflow.sourceRun"
_EQUALS = Field(ValueKind.STRING, EQUALITY)
_EQUALS_OR_LIST = Field(ValueKind.STRING, EQUALITY | MEMBERSHIP)

TRACE_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset({"attributes", "trace"}),
            fields={
                "request_id": _EQUALS_OR_LIST,
                "timestamp_ms": NUMBER,
                "execution_time_ms": NUMBER,
                "status": _EQUALS_OR_LIST,
                "name": _EQUALS,
                "run_id": _EQUALS,
                "experiment_id": Field(ValueKind.NUMBER, frozenset(), searchable=False),
            },
            key_aliases={"timestamp": "timestamp_ms", "execution_time": "execution_time_ms"},
        ),
        Entity("tag", frozenset({"tags"}), any_key=_EQUALS),
        Entity("request_metadata", frozenset({"metadata"}), any_key=_EQUALS),
    )
)

# Attributes that are really a tag or a metadata entry.
_KEYED_ATTRIBUTES = {
    "name": ("tag", TRACE_NAME_TAG),
    "run_id": ("request_metadata", SOURCE_RUN_METADATA),
}
_TABLES = {"tag": trace_tags, "request_metadata": trace_request_metadata}


def trace_filter(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The condition on `trace_info` that one parsed comparison stands for."""
    entity, key = _canonical(comparison.entity, comparison.key)
    if entity == "attribute":
        return compare(trace_info.c[key], comparison.comparator, comparison.value, dialect)
    table = _TABLES[entity]
    return exists().where(
        table.c.request_id == trace_info.c.request_id,
        compare(table.c.key, "=", key, dialect),
        compare(table.c.value, comparison.comparator, comparison.value, dialect),
    )


def ordered_traces(
    stmt: Select[Any], order_by: Sequence[OrderBy], dialect: Dialect
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """`stmt` joined to what `order_by` sorts on, and the ORDER BY columns."""
    columns: list[ColumnElement[Any]] = []
    keys = set()
    for index, order in enumerate(order_by):
        entity, key = _canonical(order.entity, order.key)
        keys.add((entity, key))
        value: ColumnElement[Any]
        if entity == "attribute":
            value = trace_info.c[key]
        else:
            table: Table = _TABLES[entity]
            joined = table.alias(f"order_{index}")
            stmt = stmt.outerjoin(
                joined,
                and_(
                    joined.c.request_id == trace_info.c.request_id,
                    compare(joined.c.key, "=", key, dialect),
                ),
            )
            value = joined.c.value
        columns.append(case((value.is_(None), 1), else_=0).asc())
        columns.append(value.asc() if order.ascending else value.desc())
    if ("attribute", "timestamp_ms") not in keys:
        columns.append(trace_info.c.timestamp_ms.desc())
    if ("attribute", "request_id") not in keys:
        columns.append(trace_info.c.request_id.asc())
    return stmt, columns


def _canonical(entity: str, key: str) -> tuple[str, str]:
    if entity == "attribute" and key in _KEYED_ATTRIBUTES:
        return _KEYED_ATTRIBUTES[key]
    return entity, key
