"""Trace analytics in columns: trace names, sessions, token counts and costs move from tags,
request metadata and metrics into trace_info, span models and costs into spans, assessment
aggregates into assessments; four daily rollup tables and the indexes that serve them.

Every value is carried over as MLflow 3.18.0 carries it (see the functions below); the legacy
rows it came from are then deleted, and spans.dimension_attributes is dropped. Before anything
changes, the upgrade refuses spans or assessments whose trace is missing and dimension
attributes it could not carry over. Offline (--sql) there are no rows to read: the script
changes the schema and fills what plain SQL can (assessments' experiment and trace time),
and keeps the legacy rows, so that nothing is lost; an online upgrade fills everything.
"""

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from compat import TrackstoreError
from compat import migration as step

revision = "75868b020152"
down_revision = "b7e2c1a4d9f3"
branch_labels = None
depends_on = None

BATCH = 250
TRACE_NAME_LENGTH = 4096
SESSION_ID_LENGTH = 250
MODEL_LENGTH = 500
BIGINT = (-(2**63), 2**63 - 1)

TRACE_NAME_TAG = "mlflow.traceName"
SESSION_KEY = "mlflow.trace.session"
TOKEN_USAGE_KEY = "mlflow.trace.tokenUsage"
COST_KEY = "mlflow.trace.cost"
GATEWAY_ENDPOINT_KEY = "mlflow.gateway.endpointId"
MODEL_ATTRIBUTE = "mlflow.llm.model"
PROVIDER_ATTRIBUTE = "mlflow.llm.provider"
# Each key is both the name in the legacy JSON and metric rows, and the column it fills.
TOKENS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr",
)
COSTS = ("input_cost", "output_cost", "total_cost")
DIMENSIONS = {MODEL_ATTRIBUTE: "model_name", PROVIDER_ATTRIBUTE: "model_provider"}
DOUBLE = sa.Float(precision=53)


def analytics_columns() -> dict[str, list[sa.Column[Any]]]:
    """The columns each table gains, in order (fresh objects: a column joins one table)."""
    return {
        "trace_info": [
            sa.Column("trace_name", sa.String(TRACE_NAME_LENGTH), nullable=True),
            sa.Column("session_id", sa.String(SESSION_ID_LENGTH), nullable=True),
            *(sa.Column(token, sa.BigInteger(), nullable=True) for token in TOKENS),
            *(sa.Column(cost, DOUBLE, nullable=True) for cost in COSTS),
        ],
        "assessments": [
            sa.Column("experiment_id", sa.Integer(), nullable=True),
            sa.Column("trace_timestamp_ms", sa.BigInteger(), nullable=True),
            sa.Column("aggregate_value", DOUBLE, nullable=True),
            sa.Column("is_numeric_value", sa.Boolean(), nullable=False, server_default=sa.false()),
        ],
        "spans": [
            *(sa.Column(cost, DOUBLE, nullable=True) for cost in COSTS),
            *(sa.Column(c, sa.String(MODEL_LENGTH), nullable=True) for c in DIMENSIONS.values()),
        ],
    }


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *map(sa.column, columns))


trace_info = _table(
    "trace_info", "request_id", "experiment_id", "timestamp_ms", "trace_name", "session_id",
    *TOKENS, *COSTS,
)  # fmt: skip
trace_tags = _table("trace_tags", "request_id", "key", "value")
trace_metadata = _table("trace_request_metadata", "request_id", "key", "value")
trace_metrics = _table("trace_metrics", "request_id", "key", "value")
spans = _table("spans", "trace_id", "span_id", "dimension_attributes", *COSTS, *DIMENSIONS.values())
span_metrics = _table("span_metrics", "trace_id", "span_id", "key", "value")
assessments = _table(
    "assessments", "assessment_id", "trace_id", "value", "experiment_id", "trace_timestamp_ms",
    "aggregate_value", "is_numeric_value",
)  # fmt: skip

ROLLUP_TABLES = (
    "sql_trace_metric_daily_rollups",
    "sql_span_cost_daily_rollups",
    "sql_assessment_daily_rollups",
    "sql_trace_rollup_rebuild_queue",
)
COST_COVER_INCLUDE = (*COSTS, *DIMENSIONS.values())
COST_COVER_WHERE = " OR ".join(f"{cost} IS NOT NULL" for cost in COSTS)
# Index: table, columns, and whether it covers span costs (see `_create_indexes`).
INDEXES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "index_trace_info_experiment_id_session_id": (
        "trace_info", ("experiment_id", "session_id"), False,
    ),
    "idx_trace_rollups_lookup": (
        "sql_trace_metric_daily_rollups",
        ("experiment_id", "rollup_day", "metric_name", "grouping_set", "trace_status"),
        False,
    ),
    "idx_span_cost_rollups_lookup": (
        "sql_span_cost_daily_rollups",
        ("experiment_id", "rollup_day", "metric_name", "grouping_set", *DIMENSIONS.values()),
        False,
    ),
    "idx_assessment_rollups_lookup": (
        "sql_assessment_daily_rollups",
        ("experiment_id", "rollup_day", "metric_name", "grouping_set"),
        False,
    ),
    "idx_spans_cost_trace_time_cover": ("spans", ("trace_id", "start_time_unix_nano"), True),
    "idx_spans_cost_exp_time_cover": ("spans", ("experiment_id", "start_time_unix_nano"), True),
    "idx_assessments_exp_trace_ts": (
        "assessments", ("experiment_id", "trace_timestamp_ms"), False,
    ),
    "idx_assessments_exp_trace_ts_name": (
        "assessments", ("experiment_id", "trace_timestamp_ms", "name"), False,
    ),
    "idx_assessments_exp_name_valid": ("assessments", ("experiment_id", "name", "valid"), False),
}  # fmt: skip
# MySQL's index keys hold 3,072 bytes: the two model columns enter the lookup by a prefix.
MODEL_PREFIX = {"model_name": 64, "model_provider": 64}


def upgrade() -> None:
    if not step.offline():
        _require_traces()
        if _has_dimensions():
            _require_known_dimensions()
    for table, columns in analytics_columns().items():
        for column in columns:
            step.add_column_once(table, column)
    _create_rollup_tables()
    _fill_assessment_traces()
    if not step.offline():
        bind = op.get_bind()
        _fill_traces(bind)
        _fill_spans(bind)
        _fill_gateway_trace_costs()
        _fill_assessment_aggregates(bind)
        _delete_legacy_rows()
    step.drop_column_if_present("spans", "dimension_attributes", has_default=False)
    _create_indexes()


def downgrade() -> None:
    """Put every value back where it came from, then drop what the upgrade added."""
    step.add_column_once(
        "spans", sa.Column("dimension_attributes", step.json_type(), nullable=True)
    )
    if not step.offline():
        bind = op.get_bind()
        _delete_legacy_rows()
        _restore_trace_rows(bind)
        _restore_span_rows(bind)
    for index, (table, _, _) in reversed(INDEXES.items()):
        step.drop_index_if_present(index, table)
    for table in reversed(ROLLUP_TABLES):
        step.drop_table_if_present(table)
    for table, columns in reversed(analytics_columns().items()):
        for column in reversed(columns):
            step.drop_column_if_present(
                table, column.name, has_default=column.server_default is not None
            )


# Checks before any change.


def _has_dimensions() -> bool:
    """Whether spans.dimension_attributes is still there: a rerun after a failure late in the
    upgrade (MySQL) finds it dropped, and its content carried over already."""
    return step.has_column("spans", "dimension_attributes")


def _require_traces() -> None:
    """Spans and assessments are filled from their trace: each must have one."""
    for child in ("spans", "assessments"):
        rows = _table(child, "trace_id")
        orphan = (
            op.get_bind()
            .execute(
                sa.select(rows.c.trace_id)
                .where(~sa.exists().where(trace_info.c.request_id == rows.c.trace_id))
                .limit(1)
            )
            .scalar()
        )
        if orphan is not None:
            raise TrackstoreError(
                f"{child} holds rows of trace '{orphan}', which trace_info does not have, so the "
                "upgrade was refused and nothing was changed; delete those rows (or restore the "
                "trace) and upgrade again."
            )


def _require_known_dimensions() -> None:
    """dimension_attributes is dropped: refuse any content that would be lost with it."""
    rows = op.get_bind().execute(
        sa.select(spans.c.trace_id, spans.c.span_id, spans.c.dimension_attributes).where(
            spans.c.dimension_attributes.is_not(None)
        )
    )
    for trace_id, span_id, value in rows.tuples():
        _dimensions(value, trace_id, span_id)


def _dimensions(value: Any, trace_id: str, span_id: str) -> dict[str, str | None]:
    """The model and provider a span's dimension_attributes name; refused when it holds
    anything else, or anything but text or null under those keys."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = _UNREADABLE
    if value is None:
        return {}
    if isinstance(value, dict) and all(
        key in DIMENSIONS and (item is None or isinstance(item, str)) for key, item in value.items()
    ):
        return value
    raise TrackstoreError(
        f"spans.dimension_attributes of span '{span_id}' in trace '{trace_id}' holds more than "
        f"the {MODEL_ATTRIBUTE} and {PROVIDER_ATTRIBUTE} texts the upgrade carries over, so it "
        "was refused and nothing was changed; correct that value (or set it to NULL) and "
        "upgrade again."
    )


_UNREADABLE = object()


# Conversions, as MLflow 3.18.0 makes them.


def token_count(value: Any) -> int | None:
    """A whole number within BIGINT, from a number or its text; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number) if BIGINT[0] <= number <= BIGINT[1] else None


def finite_float(value: Any) -> float | None:
    """A finite float from a number or its text; None for anything else (booleans included)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def json_object(text: Any) -> dict[str, Any]:
    """The object a JSON text holds; empty when it holds anything else or is not JSON."""
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def clipped(value: Any, length: int) -> str | None:
    return value[:length] if isinstance(value, str) else None


def aggregate(value_json: str) -> tuple[float | None, bool]:
    """An assessment's value as a number to aggregate, and whether it was a number itself:
    true and false count 1 and 0, so do "yes" and "no" (any case, blanks around), a finite
    number counts as itself; anything else has no aggregate."""
    try:
        value = json.loads(value_json)
    except (TypeError, ValueError):
        value = value_json
    if isinstance(value, bool):
        return float(value), False
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None, False
        return (number, True) if math.isfinite(number) else (None, False)
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return float(value.strip().lower() == "yes"), False
    return None, False


# Filling the new columns (online).


def _pages(bind: Connection, key: sa.ColumnClause[Any]) -> Iterator[list[Any]]:
    """The distinct values of `key`, in order, BATCH at a time."""
    last = None
    while True:
        query = sa.select(key).distinct().order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        page: list[Any] = list(bind.execute(query).scalars())
        if not page:
            return
        yield page
        last = page[-1]


def _keyed(
    bind: Connection, table: sa.TableClause, ids: Sequence[str], keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """For each request id of `ids`, its `keys` rows of `table` as {key: value}."""
    found: dict[str, dict[str, Any]] = {request_id: {} for request_id in ids}
    rows = bind.execute(
        sa.select(table.c.request_id, table.c.key, table.c.value).where(
            table.c.request_id.in_(ids), table.c.key.in_(keys)
        )
    )
    for request_id, key, value in rows.tuples():
        found[request_id][key] = value
    return found


def _fill_traces(bind: Connection) -> None:
    columns = ("trace_name", "session_id", *TOKENS, *COSTS)
    update = (
        trace_info.update()
        .where(trace_info.c.request_id == sa.bindparam("request_id_"))
        .values(_keeping_filled(trace_info, columns))
    )
    for ids in _pages(bind, trace_info.c.request_id):
        names = _keyed(bind, trace_tags, ids, [TRACE_NAME_TAG])
        metadata = _keyed(bind, trace_metadata, ids, [SESSION_KEY, TOKEN_USAGE_KEY, COST_KEY])
        metrics = _keyed(bind, trace_metrics, ids, TOKENS)
        changes = []
        for request_id in ids:
            values = _trace_values(names[request_id], metadata[request_id], metrics[request_id])
            if any(value is not None for value in values.values()):
                changes.append({"request_id_": request_id, **values})
        if changes:
            bind.execute(update, changes)


def _keeping_filled(table: sa.TableClause, columns: Sequence[str]) -> dict[str, Any]:
    """SET each column to its new value, but keep a value a failed run already filled where
    the new one is NULL: on MySQL a rerun finds the legacy rows already deleted."""
    return {column: sa.func.coalesce(sa.bindparam(column), table.c[column]) for column in columns}


def _trace_values(
    tags: Mapping[str, Any], metadata: Mapping[str, Any], metrics: Mapping[str, Any]
) -> dict[str, Any]:
    """A trace's new columns. A token metric row wins over the token usage JSON, even when
    its value is no whole number."""
    usage = json_object(metadata.get(TOKEN_USAGE_KEY))
    cost = json_object(metadata.get(COST_KEY))
    return {
        "trace_name": clipped(tags.get(TRACE_NAME_TAG), TRACE_NAME_LENGTH),
        "session_id": clipped(metadata.get(SESSION_KEY), SESSION_ID_LENGTH),
        **{
            token: token_count(metrics[token] if token in metrics else usage.get(token))
            for token in TOKENS
        },
        **{name: finite_float(cost.get(name)) for name in COSTS},
    }


def _fill_spans(bind: Connection) -> None:
    columns = (*COSTS, *DIMENSIONS.values())
    update = (
        spans.update()
        .where(
            spans.c.trace_id == sa.bindparam("trace_id_"),
            spans.c.span_id == sa.bindparam("span_id_"),
        )
        .values(_keeping_filled(spans, columns))
    )
    attributes_column = (
        spans.c.dimension_attributes if _has_dimensions() else sa.null().label("no_attributes")
    )
    for ids in _pages(bind, spans.c.trace_id):
        costs: dict[tuple[str, str], dict[str, Any]] = {}
        for trace_id, span_id, key, value in bind.execute(
            sa.select(span_metrics).where(
                span_metrics.c.trace_id.in_(ids), span_metrics.c.key.in_(COSTS)
            )
        ).tuples():
            costs.setdefault((trace_id, span_id), {})[key] = finite_float(value)
        changes = []
        for trace_id, span_id, attributes in bind.execute(
            sa.select(spans.c.trace_id, spans.c.span_id, attributes_column).where(
                spans.c.trace_id.in_(ids)
            )
        ).tuples():
            dimensions = _dimensions(attributes, trace_id, span_id)
            values = {
                **{name: costs.get((trace_id, span_id), {}).get(name) for name in COSTS},
                **{c: clipped(dimensions.get(a), MODEL_LENGTH) for a, c in DIMENSIONS.items()},
            }
            if any(value is not None for value in values.values()):
                changes.append({"trace_id_": trace_id, "span_id_": span_id, **values})
        if changes:
            bind.execute(update, changes)


def _fill_gateway_trace_costs() -> None:
    """A trace that went through the gateway and has no cost of its own costs its spans' sum."""
    span_total = (
        sa.select(sa.func.sum(spans.c.total_cost))
        .where(spans.c.trace_id == trace_info.c.request_id)
        .scalar_subquery()
    )
    through_gateway = sa.exists().where(
        trace_metadata.c.request_id == trace_info.c.request_id,
        trace_metadata.c.key == GATEWAY_ENDPOINT_KEY,
    )
    op.execute(
        trace_info.update()
        .where(trace_info.c.total_cost.is_(None), span_total.is_not(None), through_gateway)
        .values(total_cost=span_total)
    )


def _fill_assessment_traces() -> None:
    """Each assessment's experiment and trace time, from its trace (plain SQL, also offline)."""

    def of_trace(column: sa.ColumnClause[Any]) -> sa.ScalarSelect[Any]:
        return (
            sa.select(column)
            .where(trace_info.c.request_id == assessments.c.trace_id)
            .scalar_subquery()
        )

    op.execute(
        assessments.update().values(
            experiment_id=of_trace(trace_info.c.experiment_id),
            trace_timestamp_ms=of_trace(trace_info.c.timestamp_ms),
        )
    )


def _fill_assessment_aggregates(bind: Connection) -> None:
    update = (
        assessments.update()
        .where(assessments.c.assessment_id == sa.bindparam("assessment_id_"))
        .values(
            aggregate_value=sa.func.coalesce(
                sa.bindparam("aggregate_value"), assessments.c.aggregate_value
            ),
            is_numeric_value=sa.bindparam("is_numeric_value"),
        )
    )
    for ids in _pages(bind, assessments.c.assessment_id):
        changes = []
        for assessment_id, value in bind.execute(
            sa.select(assessments.c.assessment_id, assessments.c.value).where(
                assessments.c.assessment_id.in_(ids)
            )
        ).tuples():
            number, numeric = aggregate(value)
            if number is not None or numeric:
                changes.append(
                    {
                        "assessment_id_": assessment_id,
                        "aggregate_value": number,
                        "is_numeric_value": numeric,
                    }
                )
        if changes:
            bind.execute(update, changes)


def _delete_legacy_rows() -> None:
    """The rows whose values now live in columns (before a downgrade: any that were added
    since, which the restored rows replace)."""
    for table, keys in (
        (trace_tags, [TRACE_NAME_TAG]),
        (trace_metadata, [SESSION_KEY, TOKEN_USAGE_KEY, COST_KEY]),
        (trace_metrics, list(TOKENS)),
        (span_metrics, list(COSTS)),
    ):
        op.execute(table.delete().where(table.c.key.in_(keys)))


# Schema.


def _create_rollup_tables() -> None:
    dimensions = {
        "sql_trace_metric_daily_rollups": [sa.Column("trace_status", sa.String(50))],
        "sql_span_cost_daily_rollups": [
            sa.Column(column, sa.String(MODEL_LENGTH)) for column in DIMENSIONS.values()
        ],
        "sql_assessment_daily_rollups": [],
    }
    percentiles = [sa.Column(f"p{p}_value", DOUBLE) for p in (50, 90, 99)]
    for table, grouped_by in dimensions.items():
        step.create_table_once(
            table,
            sa.Column(
                "id",
                step.dialect().identity_key_type(),
                sa.Identity(always=False),
                autoincrement=True,
                nullable=False,
            ),
            sa.Column("experiment_id", sa.Integer(), nullable=False),
            sa.Column("rollup_day", sa.Date(), nullable=False),
            sa.Column("metric_name", sa.String(250), nullable=False),
            sa.Column("grouping_set", sa.String(50), nullable=False),
            *grouped_by,
            sa.Column("sample_count", sa.BigInteger(), nullable=False),
            *(sa.Column(f"{stat}_value", DOUBLE) for stat in ("sum", "min", "max")),
            *(percentiles if table == "sql_trace_metric_daily_rollups" else []),
            sa.PrimaryKeyConstraint("id", name=f"{table}_pk"),
        )
    step.create_table_once(
        "sql_trace_rollup_rebuild_queue",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("rollup_day", sa.Date(), nullable=False),
        sa.Column("rollup_family", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint(
            "experiment_id",
            "rollup_day",
            "rollup_family",
            name="sql_trace_rollup_rebuild_queue_pk",
        ),
    )


def _create_indexes() -> None:
    """The span cost indexes carry their values and skip spans without a cost where the
    database can (`partial_covering_index_options`)."""
    for index, (table, columns, covers_costs) in INDEXES.items():
        options = step.dialect().index_prefix_options(
            {c: n for c, n in MODEL_PREFIX.items() if c in columns}
        )
        if covers_costs:
            options.update(
                step.dialect().partial_covering_index_options(COST_COVER_INCLUDE, COST_COVER_WHERE)
            )
        step.create_index_once(index, table, columns, **options)


# Putting the legacy rows back (online downgrade).


def _restore_trace_rows(bind: Connection) -> None:
    for ids in _pages(bind, trace_info.c.request_id):
        rows = bind.execute(sa.select(trace_info).where(trace_info.c.request_id.in_(ids)))
        tags: list[dict[str, Any]] = []
        metadata: list[dict[str, Any]] = []
        metrics: list[dict[str, Any]] = []
        for row in rows.mappings():
            request_id = row["request_id"]
            if row["trace_name"] is not None:
                tags.append(_row(request_id, TRACE_NAME_TAG, row["trace_name"]))
            if row["session_id"] is not None:
                metadata.append(_row(request_id, SESSION_KEY, row["session_id"]))
            usage = _present({token: token_count(row[token]) for token in TOKENS})
            if usage:
                metadata.append(_row(request_id, TOKEN_USAGE_KEY, json.dumps(usage)))
                metrics.extend(_row(request_id, key, value) for key, value in usage.items())
            cost = _present({name: finite_float(row[name]) for name in COSTS})
            if cost:
                metadata.append(_row(request_id, COST_KEY, json.dumps(cost)))
        for table, rows_of in (
            (trace_tags, tags),
            (trace_metadata, metadata),
            (trace_metrics, metrics),
        ):
            if rows_of:
                bind.execute(table.insert(), rows_of)


def _restore_span_rows(bind: Connection) -> None:
    attributes = sa.bindparam("attributes", type_=step.json_type())
    update = (
        spans.update()
        .where(
            spans.c.trace_id == sa.bindparam("trace_id_"),
            spans.c.span_id == sa.bindparam("span_id_"),
        )
        .values(dimension_attributes=attributes)
    )
    for ids in _pages(bind, spans.c.trace_id):
        rows = bind.execute(sa.select(spans).where(spans.c.trace_id.in_(ids)))
        dimensions: list[dict[str, Any]] = []
        metrics: list[dict[str, Any]] = []
        for row in rows.mappings():
            key = {"trace_id": row["trace_id"], "span_id": row["span_id"]}
            named = _present({a: row[c] for a, c in DIMENSIONS.items()})
            if named:
                dimensions.append({"trace_id_": key["trace_id"], "span_id_": key["span_id"],
                                   "attributes": named})  # fmt: skip
            metrics.extend(
                {**key, "key": name, "value": row[name]} for name in COSTS if row[name] is not None
            )
        if dimensions:
            bind.execute(update, dimensions)
        if metrics:
            bind.execute(span_metrics.insert(), metrics)


def _row(request_id: str, key: str, value: Any) -> dict[str, Any]:
    return {"request_id": request_id, "key": key, "value": value}


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
