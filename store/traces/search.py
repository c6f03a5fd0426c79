"""The trace search: its grammars, and its filters and order_by clauses as SQLAlchemy.

`name` is the trace's name (a column at the 3.18 head) and `run_id` the source run metadata
entry. The V2 grammar (MLflow 3.1.4's client) compares tags and request metadata with = and !=
only; MLflow 3.18's V3 search adds patterns, the end time, the client request id, and spans
(`span.name`, `span.type`, `span.status`, `span.content` by pattern): a trace matches when
one of its spans does. Rows missing a sorted value come last; then newest first, then request
id.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, Table, and_, case, exists, false, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.errors import StoreError
from store.common.tables import (
    assessments,
    entity_associations,
    spans,
    trace_info,
    trace_request_metadata,
    trace_tags,
)
from store.search.grammar import (
    EQUALITY,
    MEMBERSHIP,
    NUMBER,
    PATTERN,
    ClauseStyle,
    Entity,
    Field,
    Grammar,
    ValueKind,
    Wording,
)
from store.search.parser import Comparison, OrderBy
from store.search.sql import compare
from store.traces.v3 import (
    COST_COLUMNS,
    COST_METADATA,
    SESSION_METADATA,
    TOKEN_COLUMNS,
    TOKEN_USAGE_METADATA,
    finite_number,
    json_object,
    token_count,
)

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
    ),
    wording=Wording(ClauseStyle.QUOTED),
)

_MATCHES = Field(ValueKind.STRING, EQUALITY | PATTERN)
_MATCHES_OR_LIST = Field(ValueKind.STRING, EQUALITY | PATTERN | MEMBERSHIP)

TRACE_V3_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset({"attributes", "trace"}),
            fields={
                "request_id": _MATCHES_OR_LIST,
                "timestamp_ms": NUMBER,
                "execution_time_ms": NUMBER,
                "end_time_ms": NUMBER,
                "status": _MATCHES_OR_LIST,
                "client_request_id": _MATCHES_OR_LIST,
                # MLflow compares these as the tag and metadata entry they once were: no IN.
                "name": _MATCHES,
                "run_id": _MATCHES,
                "experiment_id": Field(ValueKind.NUMBER, frozenset(), searchable=False),
            },
            key_aliases={
                "timestamp": "timestamp_ms",
                "execution_time": "execution_time_ms",
                "end_time": "end_time_ms",
            },
        ),
        Entity("tag", frozenset({"tags"}), any_key=_MATCHES),
        Entity("request_metadata", frozenset({"metadata"}), any_key=_MATCHES),
        Entity("feedback", frozenset(), any_key=_EQUALS, orderable=False),
        Entity("expectation", frozenset(), any_key=_EQUALS, orderable=False),
        Entity(
            "span",
            frozenset(),
            fields={
                "name": _MATCHES_OR_LIST,
                "type": _MATCHES_OR_LIST,
                "status": _MATCHES_OR_LIST,
                # The whole span document (attributes, inputs, outputs), by pattern only.
                "content": Field(ValueKind.STRING, PATTERN),
            },
            orderable=False,
        ),
    ),
    wording=Wording(ClauseStyle.QUOTED),
)

# Attributes that are really a metadata entry.
_KEYED_ATTRIBUTES = {"run_id": ("request_metadata", SOURCE_RUN_METADATA)}
_COLUMNS = {"name": "trace_name"}
# Promoted metadata summed into columns: the columns of each JSON key, and its number type.
_SUMMED_METADATA: dict[str, tuple[dict[str, str], Callable[[Any], Any]]] = {
    TOKEN_USAGE_METADATA: (TOKEN_COLUMNS, token_count),
    COST_METADATA: (COST_COLUMNS, finite_number),
}
_TABLES = {"tag": trace_tags, "request_metadata": trace_request_metadata}


def trace_filter(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The condition on `trace_info` that one parsed comparison stands for."""
    if comparison.entity == "attribute" and comparison.key == "run_id":
        return or_(_linked_to_run(comparison, dialect), _condition(comparison, dialect))
    return _condition(comparison, dialect)


def _linked_to_run(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """A trace belongs to a run through its source run metadata or a link made later."""
    return exists().where(
        entity_associations.c.source_id == trace_info.c.request_id,
        entity_associations.c.source_type == "trace",
        entity_associations.c.destination_type == "run",
        compare(
            entity_associations.c.destination_id, comparison.comparator, comparison.value, dialect
        ),
    )


def _condition(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    entity, key = _canonical(comparison.entity, comparison.key)
    if entity == "attribute":
        return compare(_attribute(key), comparison.comparator, comparison.value, dialect)
    if entity == "span":
        return exists().where(
            spans.c.trace_id == trace_info.c.request_id,
            compare(spans.c[key], comparison.comparator, comparison.value, dialect),
        )
    if entity in ("feedback", "expectation"):
        return _assessed(entity, key, comparison, dialect)
    if entity == "request_metadata" and key == SESSION_METADATA:
        return compare(trace_info.c.session_id, comparison.comparator, comparison.value, dialect)
    if entity == "request_metadata" and key in _SUMMED_METADATA:
        return _summed(key, comparison)
    table = _TABLES[entity]
    return exists().where(
        table.c.request_id == trace_info.c.request_id,
        compare(table.c.key, "=", key, dialect),
        compare(table.c.value, comparison.comparator, comparison.value, dialect),
    )


def _assessed(
    kind: str, name: str, comparison: Comparison, dialect: Dialect
) -> ColumnElement[bool]:
    """A valid assessment of that kind and name whose JSON value is the text given, or the
    text as a JSON string ('yes' matches both yes and "yes"); != is its negation."""
    text = str(comparison.value)
    value = assessments.c.value
    equal = or_(compare(value, "=", text, dialect), compare(value, "=", json.dumps(text), dialect))
    return exists().where(
        assessments.c.trace_id == trace_info.c.request_id,
        assessments.c.assessment_type == kind,
        compare(assessments.c.name, "=", name, dialect),
        assessments.c.valid == true(),
        equal if comparison.comparator == "=" else not_(equal),
    )


def _summed(key: str, comparison: Comparison) -> ColumnElement[bool]:
    """Token usage or cost, kept in columns, compared as MLflow does: equal only to the JSON
    MLflow renders for the same columns (those present, in its key order)."""
    names, number = _SUMMED_METADATA[key]
    columns = {item: trace_info.c[column] for item, column in names.items()}
    present = or_(*(column.is_not(None) for column in columns.values()))
    if comparison.comparator not in ("=", "!="):
        raise StoreError(
            f"Comparator '{comparison.comparator}' is not supported for reserved metadata "
            f"'{key}'. Only '=', '!=', 'IS NULL', and 'IS NOT NULL' are supported."
        )
    wanted = json_object(str(comparison.value))
    values = {item: number(wanted[item]) for item in names if item in wanted}
    values = {item: value for item, value in values.items() if value is not None}
    canonical = (
        bool(values) and set(wanted) <= set(names) and json.dumps(values) == comparison.value
    )
    matches: ColumnElement[bool] = (
        and_(
            *(
                columns[item] == values[item] if item in values else columns[item].is_(None)
                for item in names
            )
        )
        if canonical
        else false()
    )
    return matches if comparison.comparator == "=" else and_(present, not_(matches))


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
            value = _attribute(key)
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


def _attribute(key: str) -> ColumnElement[Any]:
    """The trace_info column (or, for the end time, expression) an attribute names."""
    if key == "end_time_ms":
        return trace_info.c.timestamp_ms + trace_info.c.execution_time_ms
    return trace_info.c[_COLUMNS.get(key, key)]


def _canonical(entity: str, key: str) -> tuple[str, str]:
    if entity == "attribute" and key in _KEYED_ATTRIBUTES:
        return _KEYED_ATTRIBUTES[key]
    return entity, key
