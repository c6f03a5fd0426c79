"""Add latest_metrics and fill it with the latest value of every metric of every run."""

from typing import Any

import sqlalchemy as sa
from alembic import op

from compat import migration as step
from migrations import progress

revision = "89d4b8295536"
down_revision = "7ac759974ad8"
branch_labels = None
depends_on = None

COLUMNS = ("key", "value", "timestamp", "step", "is_nan", "run_uuid")
PRIMARY_KEY = ("key", "run_uuid")
metrics = sa.table("metrics", *(sa.column(name) for name in COLUMNS))
latest_metrics = sa.table("latest_metrics", *(sa.column(name) for name in COLUMNS))


def upgrade() -> None:
    """Where the database adds keys in bulk (`adds_keys_in_bulk`), they come after the fill."""
    keys_after_fill = step.dialect().adds_keys_in_bulk
    keys = [
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"]),
        sa.PrimaryKeyConstraint(*PRIMARY_KEY, name="latest_metric_pk"),
    ]
    step.create_table_once(
        "latest_metrics",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("timestamp", sa.BigInteger()),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=False),
        *([] if keys_after_fill else keys),
    )
    if step.offline() or not _filled():
        _fill()
    if keys_after_fill:
        _add_keys()


def _add_keys() -> None:
    if not step.primary_key_columns("latest_metrics"):
        op.create_primary_key("latest_metric_pk", "latest_metrics", list(PRIMARY_KEY))
    if step.foreign_key_to("latest_metrics", "runs", ["run_uuid"]) is None:
        op.create_foreign_key(None, "latest_metrics", "runs", ["run_uuid"], ["run_uuid"])


def _fill() -> None:
    """One set-based INSERT ... SELECT of each (run, key)'s latest row.

    Latest means MLflow's order: the greatest step, then the greatest timestamp at that step,
    then the greatest value (a NaN, where the database stores one, counts as the greatest, as
    it does for MAX). MLflow groups the last level by is_nan as well; rows tied on all three
    but differing in is_nan make its step fail, and here the one with is_nan set wins.
    """
    step.prepare_bulk_query()
    statement = latest_metrics.insert().from_select(COLUMNS, _latest())
    if step.offline():
        op.execute(statement)
        return
    rows = op.get_bind().execute(statement).rowcount
    progress.report(f"latest_metrics: filled with the latest of {rows} metrics")


def _latest() -> sa.Select[Any]:
    if step.dialect().max_compares_arrays_and_lateral:
        return _latest_by_lookup()
    return _latest_by_window()


def _latest_by_window() -> sa.Select[Any]:
    newest_first = sa.func.row_number().over(
        partition_by=(metrics.c.run_uuid, metrics.c.key),
        order_by=(
            metrics.c.step.desc(),
            metrics.c.timestamp.desc(),
            metrics.c.value.desc(),
            metrics.c.is_nan.desc(),
        ),
    )
    ranked = sa.select(*metrics.c, newest_first.label("position")).subquery("ranked")
    return sa.select(*(ranked.c[name] for name in COLUMNS)).where(ranked.c.position == 1)


def _latest_by_lookup() -> sa.Select[Any]:
    """The same rows without sorting metrics: one hashed scan finds each (run, key)'s greatest
    (step, timestamp), and metric_pk, read backwards from it, gives the greatest value and
    then is_nan set first (the window above sorts a million rows for what is a lookup here).
    """
    greatest = step.greatest_in_order((metrics.c.step, metrics.c.timestamp)).label("greatest")
    groups = (
        sa.select(metrics.c.run_uuid, metrics.c.key, greatest)
        .group_by(metrics.c.run_uuid, metrics.c.key)
        .subquery("greatest_per_run_key")
    )
    candidate = metrics.alias("candidate")
    latest = (
        sa.select(*candidate.c)
        .where(
            candidate.c.key == groups.c.key,
            candidate.c.run_uuid == groups.c.run_uuid,
            candidate.c.step == groups.c.greatest[1],
            candidate.c.timestamp == groups.c.greatest[2],
        )
        .order_by(candidate.c.value.desc(), candidate.c.is_nan.desc())
        .limit(1)
        .lateral("latest")
    )
    return sa.select(*(latest.c[name] for name in COLUMNS)).select_from(
        groups.join(latest, sa.true())
    )


def _filled() -> bool:
    return op.get_bind().execute(sa.select(sa.exists().select_from(latest_metrics))).scalar_one()


def downgrade() -> None:
    step.drop_table_if_present("latest_metrics")
