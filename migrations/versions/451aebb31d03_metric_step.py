"""Metrics gain a step (0 for existing rows), which joins their primary key."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "451aebb31d03"
down_revision = None
branch_labels = None
depends_on = None

NOT_DOWNGRADABLE = "metrics that differ only in their step would collide in the old primary key"


def upgrade() -> None:
    step.add_column_once(
        "metrics", sa.Column("step", sa.BigInteger(), nullable=False, server_default="0")
    )
    before = frozen_tables.metrics(
        step=True, is_nan=False, primary_key=("key", "timestamp", "run_uuid")
    )
    with step.altering("metrics", before) as batch:
        step.set_primary_key(
            batch, "metrics", "metric_pk", ("key", "timestamp", "step", "run_uuid", "value")
        )


def downgrade() -> None:
    lossy.refuse(revision, NOT_DOWNGRADABLE)
