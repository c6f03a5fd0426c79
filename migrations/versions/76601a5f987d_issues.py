"""Add issues: problems found in an experiment's traces, each optionally tied to the run that
found it."""

import sqlalchemy as sa

from compat import migration as step

revision = "76601a5f987d"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None

INDEXED = ("experiment_id", "source_run_id", "status")


def upgrade() -> None:
    step.create_table_once(
        "issues",
        sa.Column("issue_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("severity", sa.String(50), nullable=True),
        sa.Column("root_causes", sa.Text(), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.Column("categories", sa.Text(), nullable=True),
        sa.Column("created_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_issues_experiment_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_run_id"],
            ["runs.run_uuid"],
            name="fk_issues_source_run_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("issue_id", name="issues_pk"),
    )
    for column in INDEXED:
        step.create_index_once(f"index_issues_{column}", "issues", [column])


def downgrade() -> None:
    step.drop_table_if_present("issues")
