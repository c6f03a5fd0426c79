"""Endpoints may log their usage to an experiment (the link empties when it is deleted)."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables

revision = "d0e1f2a3b4c5"
down_revision = "d3e4f5a6b7c8"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_endpoints_experiment_id"


def upgrade() -> None:
    with step.altering("endpoints", copy_from=frozen_tables.endpoints()) as batch:
        if not step.has_column("endpoints", "experiment_id"):
            batch.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
        if not step.has_column("endpoints", "usage_tracking"):
            batch.add_column(
                sa.Column("usage_tracking", sa.Boolean(), nullable=False, server_default="0")
            )
        if step.foreign_key_to("endpoints", "experiments", ["experiment_id"]) is None:
            batch.create_foreign_key(
                FOREIGN_KEY,
                "experiments",
                ["experiment_id"],
                ["experiment_id"],
                ondelete="SET NULL",
            )


def downgrade() -> None:
    """MySQL's index for the key goes with the column."""
    with step.altering("endpoints") as batch:
        if step.foreign_key_to("endpoints", "experiments", ["experiment_id"]):
            batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        for column in ("usage_tracking", "experiment_id"):
            if step.has_column("endpoints", column):
                batch.drop_column(
                    column, mssql_drop_default=step.dialect().defaults_are_constraints
                )
