"""Metric values become double precision and gain is_nan, which joins their primary key."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "181f10493468"
down_revision = "90e64c465722"
branch_labels = None
depends_on = None

NOT_DOWNGRADABLE = "metrics that differ only in is_nan would collide in the old primary key"


def upgrade() -> None:
    """Existing rows get is_nan false, whatever their value: MLflow converts nothing here."""
    step.add_column_once(
        "metrics",
        sa.Column(
            "is_nan", sa.Boolean(create_constraint=False), nullable=False, server_default="0"
        ),
    )
    before = frozen_tables.metrics(
        step=True, is_nan=True, primary_key=("key", "timestamp", "step", "run_uuid", "value")
    )
    with step.altering("metrics", before) as batch:
        batch.alter_column("value", type_=sa.Float(precision=53), nullable=False)
        step.set_primary_key(
            batch,
            "metrics",
            "metric_pk",
            ("key", "timestamp", "step", "run_uuid", "value", "is_nan"),
        )


def downgrade() -> None:
    lossy.refuse(revision, NOT_DOWNGRADABLE)
