"""Add budget_policies: spending limits on the AI gateway, one per workspace's policy."""

import sqlalchemy as sa

from compat import migration as step

revision = "e1f2a3b4c5d6"
down_revision = "1b5f0d9ad7c1"
branch_labels = None
depends_on = None

WORKSPACE = 63
# Short codes the gateway stores (a currency or token unit, a period, a scope, an action).
CODE = 32
USER = 255


def upgrade() -> None:
    step.create_table_once(
        "budget_policies",
        sa.Column("budget_policy_id", sa.String(36), nullable=False),
        sa.Column("budget_unit", sa.String(CODE), nullable=False),
        sa.Column("budget_amount", sa.Float(), nullable=False),
        sa.Column("duration_unit", sa.String(CODE), nullable=False),
        sa.Column("duration_value", sa.Integer(), nullable=False),
        sa.Column("target_scope", sa.String(CODE), nullable=False),
        sa.Column("budget_action", sa.String(CODE), nullable=False),
        sa.Column("created_by", sa.String(USER), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_by", sa.String(USER), nullable=True),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
        sa.Column(
            "workspace",
            sa.String(WORKSPACE),
            nullable=False,
            server_default=sa.text("'default'"),
        ),
        sa.PrimaryKeyConstraint("budget_policy_id", name="budget_policies_pk"),
    )
    step.create_index_once("idx_budget_policies_workspace", "budget_policies", ["workspace"])


def downgrade() -> None:
    step.drop_table_if_present("budget_policies")
