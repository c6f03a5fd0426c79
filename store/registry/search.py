"""The registry searches: grammars, filters and order_by for registered models and versions.

Tag filters are semi-joins on the tag table. Prompts (models tagged
`mlflow.prompt.is_prompt` = 'true') share the registry tables; as in MLflow 3.1.4 a search
leaves them out unless its filter asks for prompts.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, exists, select
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.tables import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from store.models.base import DEFAULT_WORKSPACE
from store.search.grammar import (
    NUMBER,
    STRING,
    STRING_COMPARATORS,
    Entity,
    Field,
    Grammar,
    ValueKind,
    Wording,
)
from store.search.parser import Comparison, OrderBy
from store.search.sql import compare

IS_PROMPT_TAG = "mlflow.prompt.is_prompt"
_ORDER_ONLY = Field(ValueKind.NUMBER, frozenset(), searchable=False)
_TAG = Entity("tag", frozenset({"tags"}), any_key=STRING, orderable=False)

REGISTERED_MODEL_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset(),
            fields={"name": STRING, "last_updated_timestamp": _ORDER_ONLY},
            key_aliases={"timestamp": "last_updated_timestamp"},
        ),
        _TAG,
    ),
    wording=Wording(
        unknown_order_key="Invalid order by key '{key}' specified. Valid keys are "
        "'{'name', 'timestamp'}'"
    ),
)

MODEL_VERSION_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset(),
            fields={
                "name": STRING,
                "version_number": NUMBER,
                "run_id": Field(ValueKind.STRING, STRING_COMPARATORS | {"IN"}, orderable=False),
                "source_path": Field(ValueKind.STRING, STRING_COMPARATORS, orderable=False),
                "creation_timestamp": _ORDER_ONLY,
                "last_updated_timestamp": _ORDER_ONLY,
            },
        ),
        _TAG,
    ),
    wording=Wording(
        unknown_order_key="Invalid attribute key '{key}' specified. Valid keys are "
        "'{'creation_timestamp', 'last_updated_timestamp', 'name', 'version_number'}'"
    ),
)

_REGISTERED_MODEL_COLUMNS = {"name": "name", "last_updated_timestamp": "last_updated_time"}
_MODEL_VERSION_COLUMNS = {
    "name": "name",
    "version_number": "version",
    "run_id": "run_id",
    "source_path": "source",
    "creation_timestamp": "creation_time",
    "last_updated_timestamp": "last_updated_time",
}
DEFAULT_VERSION_ORDER = [
    OrderBy("attribute", "last_updated_timestamp", False),
    OrderBy("attribute", "name"),
    OrderBy("attribute", "version_number", False),
]


def registered_model_conditions(
    comparisons: Sequence[Comparison], dialect: Dialect
) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `registered_models` for a parsed filter."""
    return _conditions(comparisons, registered_models, registered_model_tags, dialect)


def model_version_conditions(
    comparisons: Sequence[Comparison], dialect: Dialect
) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `model_versions` for a parsed filter."""
    return _conditions(comparisons, model_versions, model_version_tags, dialect)


def registered_model_order(order_by: Sequence[OrderBy]) -> list[ColumnElement[Any]]:
    """ORDER BY columns: the requested ones, then name ascending."""
    return _order(registered_models, _REGISTERED_MODEL_COLUMNS, order_by, [("name", True)])


def model_version_order(order_by: Sequence[OrderBy]) -> list[ColumnElement[Any]]:
    """ORDER BY columns: the requested ones (default: last updated first, then name and newest
    version), then name ascending and version descending."""
    return _order(
        model_versions,
        _MODEL_VERSION_COLUMNS,
        order_by or DEFAULT_VERSION_ORDER,
        [("name", True), ("version_number", False)],
    )


def queries_prompts(comparisons: Sequence[Comparison]) -> bool:
    """True when the filter's first test of the prompt tag asks for prompts."""
    for comparison in comparisons:
        if comparison.entity == "tag" and comparison.key == IS_PROMPT_TAG:
            value = str(comparison.value).lower()
            return (comparison.comparator, value) in (("=", "true"), ("!=", "false"))
    return False


def _conditions(
    comparisons: Sequence[Comparison], table: Table, tag_table: Table, dialect: Dialect
) -> list[ColumnElement[bool]]:
    columns = _MODEL_VERSION_COLUMNS if table is model_versions else _REGISTERED_MODEL_COLUMNS
    prompts = queries_prompts(comparisons)
    conditions = []
    for comparison in comparisons:
        if comparison.entity == "attribute":
            column = table.c[columns[comparison.key]]
            conditions.append(compare(column, comparison.comparator, comparison.value, dialect))
        elif prompts or comparison.key != IS_PROMPT_TAG:
            owner = [tag_table.c[name] == table.c[name] for name in _owner_key(table)]
            tagged = exists().where(
                *owner,
                compare(tag_table.c.key, "=", comparison.key, dialect),
                compare(tag_table.c.value, comparison.comparator, comparison.value, dialect),
            )
            conditions.append(tagged)
    if not prompts:
        conditions.append(table.c.name.not_in(_prompt_names(tag_table, dialect)))
    return conditions


def _owner_key(table: Table) -> tuple[str, ...]:
    """The columns a tag row shares with the row it tags."""
    return ("workspace", "name", "version") if table is model_versions else ("workspace", "name")


def _prompt_names(tag_table: Table, dialect: Dialect) -> Any:
    """The names of models that some row of `tag_table` marks as prompts."""
    return select(tag_table.c.name).where(
        tag_table.c.workspace == DEFAULT_WORKSPACE,
        compare(tag_table.c.key, "=", IS_PROMPT_TAG, dialect),
        compare(tag_table.c.value, "=", "true", dialect),
    )


def _order(
    table: Table,
    columns: dict[str, str],
    order_by: Sequence[OrderBy],
    tie_breakers: list[tuple[str, bool]],
) -> list[ColumnElement[Any]]:
    keys = [order.key for order in order_by]
    wanted = [(order.key, order.ascending) for order in order_by]
    wanted += [(key, ascending) for key, ascending in tie_breakers if key not in keys]
    return [
        table.c[columns[key]].asc() if ascending else table.c[columns[key]].desc()
        for key, ascending in wanted
    ]
