"""The trace search: its grammars, and its filters and order_by clauses as SQLAlchemy.

`name` is the trace's name (a column at the 3.18 head) and `run_id` the source run metadata
entry. The V2 grammar (MLflow 3.1.4's client) compares tags and request metadata with = and !=
only; MLflow 3.18's V3 search adds patterns, IS NULL and IS NOT NULL, the end time, the client
request id, assessments (`feedback.<name>`, `expectation.<name>`), issues, linked prompt
versions (`prompt = 'name/version'`) and spans (`span.name`, `span.type`, `span.status`,
`span.attributes.<name>`, and `span.content` or `trace.text` by pattern). A trace matches the
span comparisons when one of its spans matches them all. Rows missing a sorted value come last;
then newest first, then request id.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, Table, and_, case, exists, false, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.errors import BAD_REQUEST, StoreError
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
    NULLNESS,
    NUMBER,
    ORDERING,
    PATTERN,
    ClauseStyle,
    Entity,
    Field,
    Grammar,
    ValueKind,
    Wording,
)
from store.search.parser import Comparison, OrderBy, Value
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
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
SPAN_ATTRIBUTES = "attributes."
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
_MATCHES_OR_NULL = Field(ValueKind.STRING, EQUALITY | PATTERN | NULLNESS)
_ASSESSED = Field(
    ValueKind.STRING, EQUALITY | PATTERN | NULLNESS | ORDERING, number_comparators=ORDERING
)

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
                "name": _MATCHES_OR_NULL,
                "run_id": _MATCHES_OR_NULL,
                # Prompt versions linked to the trace, one 'name/version' at a time.
                "prompt": Field(ValueKind.STRING, frozenset({"="}), orderable=False),
                # Any span's document, as span.content.
                "text": Field(ValueKind.STRING, PATTERN, orderable=False),
                "experiment_id": Field(ValueKind.NUMBER, frozenset(), searchable=False),
            },
            key_aliases={
                "timestamp": "timestamp_ms",
                "execution_time": "execution_time_ms",
                "end_time": "end_time_ms",
            },
        ),
        Entity("tag", frozenset({"tags"}), any_key=_MATCHES_OR_NULL),
        Entity("request_metadata", frozenset({"metadata"}), any_key=_MATCHES_OR_NULL),
        Entity("feedback", frozenset(), any_key=_ASSESSED, orderable=False),
        Entity("expectation", frozenset(), any_key=_ASSESSED, orderable=False),
        Entity(
            "issue",
            frozenset(),
            fields={"id": Field(ValueKind.STRING, frozenset({"="}))},
            orderable=False,
        ),
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
            key_prefixes={SPAN_ATTRIBUTES: _MATCHES_OR_LIST},
            orderable=False,
        ),
    ),
    wording=Wording(ClauseStyle.QUOTED),
)

# Attributes that are really a metadata entry, a tag or a span field.
_KEYED_ATTRIBUTES = {
    "run_id": ("request_metadata", SOURCE_RUN_METADATA),
    "prompt": ("tag", LINKED_PROMPTS_TAG),
    "text": ("span", "content"),
}
_COLUMNS = {"name": "trace_name"}
# Promoted metadata summed into columns: the columns of each JSON key, and its number type.
_SUMMED_METADATA: dict[str, tuple[dict[str, str], Callable[[Any], Any]]] = {
    TOKEN_USAGE_METADATA: (TOKEN_COLUMNS, token_count),
    COST_METADATA: (COST_COLUMNS, finite_number),
}
_TABLES = {"tag": trace_tags, "request_metadata": trace_request_metadata}


def trace_filters(comparisons: Sequence[Comparison], dialect: Dialect) -> list[ColumnElement[bool]]:
    """The conditions on `trace_info` that parsed comparisons stand for; the span comparisons
    become one condition, met by a trace one of whose spans meets them all."""
    on_spans = [c for c in comparisons if _canonical(c.entity, c.key)[0] == "span"]
    conditions = [_trace_filter(c, dialect) for c in comparisons if c not in on_spans]
    if on_spans:
        conditions.append(
            exists().where(
                spans.c.trace_id == trace_info.c.request_id,
                *(_span_condition(c, dialect) for c in on_spans),
            )
        )
    return conditions


def _trace_filter(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The condition on `trace_info` that one parsed comparison stands for. A trace belongs
    to a run through its source run metadata or a link made later."""
    condition = _condition(comparison, dialect)
    if (comparison.entity, comparison.key, comparison.comparator) == ("attribute", "run_id", "="):
        return or_(_associated("run", comparison.value, dialect), condition)
    return condition


def _associated(kind: str, destination: Value, dialect: Dialect) -> ColumnElement[bool]:
    """The trace is linked to the `kind` entity whose id is `destination`."""
    return exists().where(
        entity_associations.c.source_id == trace_info.c.request_id,
        entity_associations.c.source_type == "trace",
        entity_associations.c.destination_type == kind,
        compare(entity_associations.c.destination_id, "=", destination, dialect),
    )


def _condition(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    entity, key = _canonical(comparison.entity, comparison.key)
    if entity == "attribute":
        return compare(_attribute(key), comparison.comparator, comparison.value, dialect)
    if entity in ("feedback", "expectation"):
        return _assessed(entity, key, comparison, dialect)
    if entity == "issue":
        return _assessed_issue(comparison, dialect)
    if entity == "tag" and key == LINKED_PROMPTS_TAG:
        return _linked_prompt(comparison, dialect)
    if entity == "request_metadata" and key == SESSION_METADATA:
        return compare(trace_info.c.session_id, comparison.comparator, comparison.value, dialect)
    if entity == "request_metadata" and key in _SUMMED_METADATA:
        return _summed(key, comparison)
    table = _TABLES[entity]
    keyed = [table.c.request_id == trace_info.c.request_id, compare(table.c.key, "=", key, dialect)]
    if comparison.comparator in NULLNESS:
        present = exists().where(*keyed)
        return present if comparison.comparator == "IS NOT NULL" else not_(present)
    return exists().where(
        *keyed, compare(table.c.value, comparison.comparator, comparison.value, dialect)
    )


def _span_condition(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """One comparison on a span row. `span.attributes.<name>` compares the span document with
    the text `%"<name>"<value>%`, as MLflow does, so a pattern finds the attribute with a
    value after it; MLflow cannot compare that text with a list."""
    _, key = _canonical(comparison.entity, comparison.key)
    if not key.startswith(SPAN_ATTRIBUTES):
        return compare(spans.c[key], comparison.comparator, comparison.value, dialect)
    if isinstance(comparison.value, tuple):
        raise StoreError(
            f"span.{key} cannot be compared with a list; use =, !=, LIKE or ILIKE.", BAD_REQUEST
        )
    name = key[len(SPAN_ATTRIBUTES) :]
    text = f'%"{name}"{comparison.value}%'
    return compare(spans.c.content, comparison.comparator, text, dialect)


def _linked_prompt(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """A prompt version linked to the trace, named 'name/version'."""
    if comparison.comparator != "=":
        raise StoreError(
            f"Invalid comparator '{comparison.comparator}' for the prompt filter: only = is "
            "supported, as in prompt = 'name/version'."
        )
    if str(comparison.value).count("/") != 1:
        raise StoreError(
            f"Invalid prompt filter value '{comparison.value}': expected 'name/version'."
        )
    return _associated("prompt_version", comparison.value, dialect)


def _assessed_issue(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """An issue reference: an assessment of type issue named by the issue's id."""
    return exists().where(
        assessments.c.trace_id == trace_info.c.request_id,
        assessments.c.assessment_type == "issue",
        compare(assessments.c.name, "=", comparison.value, dialect),
    )


def _assessed(
    kind: str, name: str, comparison: Comparison, dialect: Dialect
) -> ColumnElement[bool]:
    """A valid assessment of that kind and name on the trace, or on a trace of its session
    when the assessment is of the whole session, whose value compares as asked."""
    chosen = [
        assessments.c.assessment_type == kind,
        compare(assessments.c.name, "=", name, dialect),
        assessments.c.valid == true(),
    ]
    if comparison.comparator not in NULLNESS:
        chosen.append(_assessment_value(comparison, dialect))
    direct = exists().where(assessments.c.trace_id == trace_info.c.request_id, *chosen)
    matched = or_(direct, _session_assessed(chosen))
    return not_(matched) if comparison.comparator == "IS NULL" else matched


def _assessment_value(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The JSON value is the text given, or the text as a JSON string ('yes' matches both yes
    and "yes"), != its negation; patterns match the JSON text; < and > compare numbers."""
    value = assessments.c.value
    if comparison.comparator in ORDERING:
        return and_(
            assessments.c.is_numeric_value == true(),
            compare(
                assessments.c.aggregate_value, comparison.comparator, comparison.value, dialect
            ),
        )
    if comparison.comparator in PATTERN:
        return compare(value, comparison.comparator, comparison.value, dialect)
    text = str(comparison.value)
    equal = or_(compare(value, "=", text, dialect), compare(value, "=", json.dumps(text), dialect))
    return equal if comparison.comparator == "=" else not_(equal)


def _session_assessed(chosen: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """The trace's session holds a trace of the same experiment with a chosen assessment that
    covers the whole session (its metadata names the session)."""
    assessed = trace_info.alias("assessed")
    sessions = (
        select(assessed.c.session_id)
        .join(assessments, assessments.c.trace_id == assessed.c.request_id)
        .where(
            assessed.c.experiment_id == trace_info.c.experiment_id,
            assessed.c.session_id.is_not(None),
            assessments.c.assessment_metadata.contains(f'"{SESSION_METADATA}":'),
            *chosen,
        )
    )
    return and_(trace_info.c.session_id.is_not(None), trace_info.c.session_id.in_(sessions))


def _summed(key: str, comparison: Comparison) -> ColumnElement[bool]:
    """Token usage or cost, kept in columns, compared as MLflow does: equal only to the JSON
    MLflow renders for the same columns (those present, in its key order)."""
    names, number = _SUMMED_METADATA[key]
    columns = {item: trace_info.c[column] for item, column in names.items()}
    present = or_(*(column.is_not(None) for column in columns.values()))
    if comparison.comparator in NULLNESS:
        return present if comparison.comparator == "IS NOT NULL" else not_(present)
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
