"""The experiment search: its grammar, and its filters and order_by clauses as SQLAlchemy."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.tables import experiment_tags, experiments
from store.search.grammar import NUMBER, STRING, Entity, Field, Grammar, ValueKind, Wording
from store.search.parser import Comparison, OrderBy
from store.search.sql import compare

EXPERIMENT_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset(),
            fields={
                "name": STRING,
                "creation_time": NUMBER,
                "last_update_time": NUMBER,
                "experiment_id": Field(ValueKind.NUMBER, frozenset(), searchable=False),
            },
        ),
        Entity("tag", frozenset({"tags"}), any_key=STRING, orderable=False),
    ),
    wording=Wording(
        unknown_entity="Invalid entity type '{entity}'. Valid entity types are ('attribute', "
        "'attributes', 'tag', 'tags')",
        unknown_attribute="Invalid attribute key '{key}' specified. Valid keys are "
        "'{'creation_time', 'experiment_id', 'last_update_time', 'name'}'",
    ),
)

DEFAULT_ORDER = [
    OrderBy("attribute", "creation_time", False),
    OrderBy("attribute", "experiment_id"),
]


def experiment_filter(comparison: Comparison, dialect: Dialect) -> ColumnElement[bool]:
    """The condition on `experiments` that one parsed comparison stands for."""
    if comparison.entity == "attribute":
        column = experiments.c[comparison.key]
        return compare(column, comparison.comparator, comparison.value, dialect)
    tagged = select(experiment_tags.c.experiment_id).where(
        compare(experiment_tags.c.key, "=", comparison.key, dialect),
        compare(experiment_tags.c.value, comparison.comparator, comparison.value, dialect),
    )
    return experiments.c.experiment_id.in_(tagged)


def experiment_order(order_by: Sequence[OrderBy]) -> list[ColumnElement[Any]]:
    """ORDER BY columns: the requested ones (default: newest first), then experiment id."""
    columns: list[ColumnElement[Any]] = [
        experiments.c[o.key].asc() if o.ascending else experiments.c[o.key].desc()
        for o in order_by or DEFAULT_ORDER
    ]
    if not any(o.key == "experiment_id" for o in order_by or DEFAULT_ORDER):
        columns.append(experiments.c.experiment_id.desc())
    return columns
