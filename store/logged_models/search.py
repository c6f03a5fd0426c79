"""The logged model search: its grammar, dataset filters, ordering and page tokens.

Metric, param and tag filters are EXISTS tests, so a model comes back once however many rows
match. A metric filter matches when any recorded value of that metric does (on the given
datasets, if any); ordering by a metric uses its latest value (newest timestamp, then step),
missing values last, as MLflow 3.1.4 does.
"""

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.sql.elements import ColumnElement

from compat import Dialect
from store.common.errors import StoreError
from store.common.tables import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from store.search.grammar import NUMBER, STRING_OR_LIST, ClauseStyle, Entity, Grammar, Wording
from store.search.parser import Comparison
from store.search.sql import compare

ATTRIBUTE_ALIASES = {
    "creation_time": "creation_timestamp_ms",
    "creation_timestamp": "creation_timestamp_ms",
    "last_updated_timestamp": "last_updated_timestamp_ms",
}
_TEXT_ATTRIBUTES = ("model_id", "name", "model_type", "source_run_id", "artifact_location")

LOGGED_MODEL_GRAMMAR = Grammar(
    (
        Entity(
            "attribute",
            frozenset({"attributes"}),
            fields={
                **{name: STRING_OR_LIST for name in _TEXT_ATTRIBUTES},
                "creation_timestamp_ms": NUMBER,
                "last_updated_timestamp_ms": NUMBER,
            },
            key_aliases=ATTRIBUTE_ALIASES,
        ),
        Entity("metric", frozenset({"metrics"}), any_key=NUMBER),
        Entity("parameter", frozenset({"params"}), any_key=STRING_OR_LIST),
        Entity("tag", frozenset({"tags"}), any_key=STRING_OR_LIST),
    ),
    wording=Wording(ClauseStyle.WHOLE),
)

Dataset = Mapping[str, Any]


def model_conditions(
    comparisons: Sequence[Comparison], datasets: Sequence[Dataset], dialect: Dialect
) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `logged_models` for a parsed filter and dataset list."""
    on_datasets = [_on_dataset(d["dataset_name"], d.get("dataset_digest")) for d in datasets]
    conditions = []
    for c in comparisons:
        if c.entity == "attribute":
            column = logged_models.c[c.key]
            conditions.append(compare(column, c.comparator, c.value, dialect))
        elif c.entity == "metric":
            conditions.append(
                _has_row(
                    logged_model_metrics.c.metric_name == c.key,
                    compare(logged_model_metrics.c.metric_value, c.comparator, c.value, dialect),
                    or_(*on_datasets) if on_datasets else None,
                )
            )
        else:
            table = logged_model_params if c.entity == "parameter" else logged_model_tags
            prefix = "param" if c.entity == "parameter" else "tag"
            key, value = table.c[f"{prefix}_key"], table.c[f"{prefix}_value"]
            conditions.append(
                exists().where(
                    table.c.model_id == logged_models.c.model_id,
                    compare(key, "=", c.key, dialect),
                    compare(value, c.comparator, c.value, dialect),
                )
            )
    if on_datasets and not any(c.entity == "metric" for c in comparisons):
        conditions.append(_has_row(or_(*on_datasets)))
    return conditions


def model_order(order_by: Sequence[Mapping[str, Any]]) -> list[ColumnElement[Any]]:
    """ORDER BY columns for MLflow's order_by dicts (field_name, ascending, dataset_name,
    dataset_digest): missing values last, then newest first, then model id."""
    columns: list[ColumnElement[Any]] = []
    for clause in order_by:
        value = _sort_value(clause)
        columns.append(case((value.is_(None), 1), else_=0).asc())
        columns.append(value.asc() if clause.get("ascending", True) else value.desc())
    if not any(_attribute(c["field_name"]) == "creation_timestamp_ms" for c in order_by):
        columns.append(logged_models.c.creation_timestamp_ms.desc())
    columns.append(logged_models.c.model_id.asc())
    return columns


def check_datasets(datasets: Sequence[Dataset]) -> None:
    if not all(d.get("dataset_name") for d in datasets):
        raise StoreError("`dataset_name` in the `datasets` clause must be specified.")


@dataclass(frozen=True)
class PageToken:
    """MLflow's logged model page token: the offset and the search it belongs to."""

    experiment_ids: list[str]
    filter_string: str | None = None
    order_by: list[dict[str, Any]] | None = None
    offset: int = 0

    def encode(self) -> str:
        return base64.b64encode(json.dumps(asdict(self)).encode("utf-8")).decode("utf-8")

    @classmethod
    def decode(cls, token: str) -> "PageToken":
        try:
            fields = json.loads(base64.b64decode(token.encode("utf-8"), validate=True))
            return cls(
                experiment_ids=fields.get("experiment_ids"),
                filter_string=fields.get("filter_string") or None,
                order_by=fields.get("order_by") or None,
                offset=int(fields.get("offset") or 0),
            )
        except (binascii.Error, ValueError, TypeError, AttributeError):
            raise StoreError(
                "Invalid page token: pass back the next_page_token of the previous page."
            ) from None

    def check_matches(self, request: "PageToken") -> None:
        """Refuse a token from a search with other experiments, filter or order."""
        for what in ("experiment_ids", "filter_string", "order_by"):
            if getattr(self, what) != getattr(request, what):
                raise StoreError(
                    f"The {what} of the page token do not match the request's; repeat the "
                    "search that gave the token."
                )


def _attribute(field_name: str) -> str:
    return ATTRIBUTE_ALIASES.get(field_name, field_name).strip("`")


def _sort_value(clause: Mapping[str, Any]) -> ColumnElement[Any]:
    field_name = clause.get("field_name") or ""
    entity, dot, key = field_name.partition(".")
    if not dot:
        name = _attribute(field_name)
        if name not in logged_models.c:
            raise StoreError(f"Invalid order by field name: {field_name}.")
        return logged_models.c[name]
    if entity != "metrics":
        raise StoreError(f"Invalid order by field name: {field_name}. Only metrics are supported.")
    latest = (
        select(logged_model_metrics.c.metric_value)
        .where(
            logged_model_metrics.c.model_id == logged_models.c.model_id,
            logged_model_metrics.c.metric_name == key.strip("`"),
        )
        .order_by(
            logged_model_metrics.c.metric_timestamp_ms.desc(),
            logged_model_metrics.c.metric_step.desc(),
        )
        .limit(1)
    )
    if clause.get("dataset_name"):
        latest = latest.where(logged_model_metrics.c.dataset_name == clause["dataset_name"])
    if clause.get("dataset_digest"):
        latest = latest.where(logged_model_metrics.c.dataset_digest == clause["dataset_digest"])
    return latest.scalar_subquery()


def _on_dataset(name: str, digest: str | None) -> ColumnElement[bool]:
    on_name = logged_model_metrics.c.dataset_name == name
    return and_(on_name, logged_model_metrics.c.dataset_digest == digest) if digest else on_name


def _has_row(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """EXISTS a metric row of the model meeting every given condition."""
    wanted = [condition for condition in conditions if condition is not None]
    return exists().where(logged_model_metrics.c.model_id == logged_models.c.model_id, *wanted)
