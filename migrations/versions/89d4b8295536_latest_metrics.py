"""Add latest_metrics and fill it with the latest value of every metric of every run."""

import sqlalchemy as sa
from alembic import op

from compat import migration as step
from migrations import progress

revision = "89d4b8295536"
down_revision = "7ac759974ad8"
branch_labels = None
depends_on = None

COLUMNS = ("key", "value", "timestamp", "step", "is_nan", "run_uuid")
metrics = sa.table("metrics", *(sa.column(name) for name in COLUMNS))
latest_metrics = sa.table("latest_metrics", *(sa.column(name) for name in COLUMNS))


def upgrade() -> None:
    step.create_table_once(
        "latest_metrics",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("timestamp", sa.BigInteger()),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.PrimaryKeyConstraint("key", "run_uuid", name="latest_metric_pk"),
    )
    if step.offline() or not _filled():
        _fill()


def _fill() -> None:
    """One set-based INSERT ... SELECT of each (run, key)'s latest row.

    Latest means MLflow's order: the greatest step, then the greatest timestamp at that step,
    then the greatest value (a NaN, where the database stores one, counts as the greatest, as
    it does for MAX). MLflow groups the last level by is_nan as well; rows tied on all three
    but differing in is_nan make its step fail, and here the one with is_nan set wins.
    """
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
    latest = sa.select(*(ranked.c[name] for name in COLUMNS)).where(ranked.c.position == 1)
    statement = latest_metrics.insert().from_select(COLUMNS, latest)
    if step.offline():
        op.execute(statement)
        return
    rows = op.get_bind().execute(statement).rowcount
    progress.report(f"latest_metrics: filled with the latest of {rows} metrics")


def _filled() -> bool:
    return op.get_bind().execute(sa.select(sa.exists().select_from(latest_metrics))).scalar_one()


def downgrade() -> None:
    step.drop_table_if_present("latest_metrics")
