"""The run search: its grammar, and its filters and order_by clauses as SQLAlchemy.

Filters on metrics, params, tags, run names and datasets are semi-joins
(`runs.run_uuid IN (SELECT ...)`), so a run is returned once however many rows match.
Metrics are searched and ordered by their latest value (`latest_metrics`), as MLflow does.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.tables import datasets, input_tags, inputs, latest_metrics, params, runs, tags
from store.search.grammar import (
    NUMBER,
    STRING,
    STRING_OR_LIST,
    ClauseStyle,
    Entity,
    Grammar,
    Wording,
)
from store.search.parser import Comparison, OrderBy
from store.search.sql import compare

RUN_NAME_TAG = "mlflow.runName"
DATASET_CONTEXT_TAG = "mlflow.data.context"

RUN_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset({"attr", "attributes", "run"}),
            fields={
                "run_id": STRING_OR_LIST,
                "run_name": STRING,
                "user_id": STRING,
                "status": STRING,
                "artifact_uri": STRING,
                "start_time": NUMBER,
                "end_time": NUMBER,
            },
            key_aliases={
                "created": "start_time",
                "Created": "start_time",
                "run name": "run_name",
                "Run name": "run_name",
                "Run Name": "run_name",
            },
        ),
        Entity("metric", frozenset({"metrics"}), any_key=NUMBER),
        Entity("parameter", frozenset({"parameters", "param", "params"}), any_key=STRING),
        Entity("tag", frozenset({"tags"}), any_key=STRING),
        Entity(
            "dataset",
            frozenset({"datasets"}),
            fields={"name": STRING_OR_LIST, "digest": STRING_OR_LIST, "context": STRING_OR_LIST},
            orderable=False,
        ),
    ),
    wording=Wording(
        ClauseStyle.QUOTED,
        unknown_entity="Invalid entity type '{entity}'. Valid values are ['metric', "
        "'parameter', 'tag', 'attribute', 'dataset']",
        unknown_attribute="Invalid attribute key '{key}' specified. Valid keys are '{'Created', "
        "'Run Name', 'Run name', 'artifact_uri', 'created', 'end_time', 'run name', 'run_id', "
        "'run_name', 'start_time', 'status', 'user_id'}'",
        unknown_order_key="Invalid attribute key '{key}' specified. Valid keys are '{'Created', "
        "'artifact_uri', 'created', 'end_time', 'run_id', 'run_name', 'start_time', 'status', "
        "'user_id'}'",
    ),
)

# Attribute names of the search as columns of the runs table.
ATTRIBUTE_COLUMNS = {"run_id": "run_uuid", "run_name": "name"}
_KEYED_TABLES = {"metric": latest_metrics, "parameter": params, "tag": tags}


def run_filter(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The condition on `runs` that one parsed comparison stands for."""
    entity, key, op, value = (
        comparison.entity,
        comparison.key,
        comparison.comparator,
        comparison.value,
    )
    if entity == "attribute" and key == "run_name":
        return _keyed(tags, RUN_NAME_TAG, op, value, dialect)
    if entity == "attribute":
        return compare(runs.c[ATTRIBUTE_COLUMNS.get(key, key)], op, value, dialect)
    if entity == "dataset":
        return runs.c.run_uuid.in_(_dataset_runs(key, op, value, dialect))
    return _keyed(_KEYED_TABLES[entity], key, op, value, dialect)


def _keyed(table: Any, key: str, op: str, value: Any, dialect: Dialect) -> ColumnElement[bool]:
    condition = compare(table.c.value, op, value, dialect)
    if table is latest_metrics:
        condition = _metric_condition(op, float(value), dialect)
    matching = select(table.c.run_uuid).where(compare(table.c.key, "=", key, dialect), condition)
    return runs.c.run_uuid.in_(matching)


def _metric_condition(op: str, value: float, dialect: Dialect) -> ColumnElement[bool]:
    """A numeric comparison with a latest metric, as MLflow 3.18 makes it: a NaN (stored as 0)
    satisfies only `!=`, whatever the 0 it is stored as would say."""
    condition = compare(latest_metrics.c.value, op, value, dialect)
    if op == "!=":
        return or_(condition, latest_metrics.c.is_nan == true())
    return and_(condition, latest_metrics.c.is_nan == false())


def _dataset_runs(key: str, op: str, value: Any, dialect: Dialect) -> Select[Any]:
    stmt = (
        select(inputs.c.destination_id)
        .join(datasets, datasets.c.dataset_uuid == inputs.c.source_id)
        .where(inputs.c.destination_type == "RUN")
    )
    if key != "context":
        return stmt.where(compare(datasets.c[key], op, value, dialect))
    return stmt.join(
        input_tags,
        and_(
            input_tags.c.input_uuid == inputs.c.input_uuid,
            input_tags.c.name == DATASET_CONTEXT_TAG,
            compare(input_tags.c.value, op, value, dialect),
        ),
    )


def ordered_runs(
    stmt: Select[Any], order_by: Sequence[OrderBy], dialect: Dialect
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """`stmt` joined to what `order_by` sorts on, and the ORDER BY columns in MLflow's order.

    Rows missing the sorted value come last in either direction; for metrics, NaN comes after
    every number and before missing. Then newest start time first, then run id.
    """
    columns: list[ColumnElement[Any]] = []
    for index, order in enumerate(order_by):
        stmt, value, rank = _sort_value(stmt, order, index, dialect)
        columns += [rank, value.asc() if order.ascending else value.desc()]
    if not any(o.entity == "attribute" and o.key == "start_time" for o in order_by):
        columns.append(runs.c.start_time.desc())
    columns.append(runs.c.run_uuid.asc())
    return stmt, columns


def _sort_value(
    stmt: Select[Any], order: OrderBy, index: int, dialect: Dialect
) -> tuple[Select[Any], ColumnElement[Any], ColumnElement[Any]]:
    if order.entity == "attribute":
        value = runs.c[ATTRIBUTE_COLUMNS.get(order.key, order.key)]
        return stmt, value, case((value.is_(None), 1), else_=0)
    table = _KEYED_TABLES[order.entity].alias(f"order_{index}")
    stmt = stmt.outerjoin(
        table,
        and_(table.c.run_uuid == runs.c.run_uuid, compare(table.c.key, "=", order.key, dialect)),
    )
    if order.entity == "metric":
        rank = case((table.c.is_nan == true(), 1), (table.c.value.is_(None), 2), else_=0)
    else:
        rank = case((table.c.value.is_(None), 1), else_=0)
    return stmt, table.c.value, rank
