"""Add budget_policies.target_value: the one endpoint or user a policy applies to, read as its
target_scope says."""

import sqlalchemy as sa

from compat import migration as step

revision = "c3d9e7f1a2b4"
down_revision = "c1d2e3f4a5b6"
branch_labels = None
depends_on = None

INDEX = "idx_budget_policies_target_value"


def upgrade() -> None:
    step.add_column_once(
        "budget_policies", sa.Column("target_value", sa.String(255), nullable=True)
    )
    step.create_index_once(INDEX, "budget_policies", ["target_value"])


def downgrade() -> None:
    step.drop_index_if_present(INDEX, "budget_policies")
    step.drop_column_if_present("budget_policies", "target_value")
