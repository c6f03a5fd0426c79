"""Add jobs: background work queued by function name, with its parameters and result."""

import sqlalchemy as sa

from compat import migration as step

revision = "bf29a5ff90ea"
down_revision = "3da73c924c2f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.create_table_once(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("function_fullname", sa.String(500), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("timeout", sa.Float(precision=53), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="jobs_pk"),
    )
    step.create_index_once(
        "index_jobs_function_status_creation_time",
        "jobs",
        ["function_fullname", "status", "creation_time"],
    )


def downgrade() -> None:
    step.drop_table_if_present("jobs")
