"""Add guardrails (a scorer version run on a gateway endpoint's traffic) and guardrail_configs
(which guardrails an endpoint applies, in what order)."""

import sqlalchemy as sa

from compat import migration as step

revision = "ae8bbe7743c9"
down_revision = "a5b4c3d2e1f0"
branch_labels = None
depends_on = None

ID = 36
WORKSPACE = 63
USER = 255


def upgrade() -> None:
    step.create_table_once(
        "guardrails",
        sa.Column("guardrail_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scorer_id", sa.String(ID), nullable=False),
        sa.Column("scorer_version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("action_endpoint_id", sa.String(ID), nullable=True),
        sa.Column("created_by", sa.String(USER), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_by", sa.String(USER), nullable=True),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
        _workspace(),
        sa.PrimaryKeyConstraint("guardrail_id", name="guardrails_pk"),
        sa.ForeignKeyConstraint(
            ["scorer_id", "scorer_version"],
            ["scorer_versions.scorer_id", "scorer_versions.scorer_version"],
            name="fk_guardrails_scorer_version",
        ),
        sa.ForeignKeyConstraint(
            ["action_endpoint_id"],
            ["endpoints.endpoint_id"],
            name="fk_guardrails_action_endpoint_id",
            ondelete="SET NULL",
        ),
    )
    step.create_index_once("idx_guardrails_workspace", "guardrails", ["workspace"])
    step.create_index_once("idx_guardrails_scorer", "guardrails", ["scorer_id", "scorer_version"])
    step.create_table_once(
        "guardrail_configs",
        sa.Column("endpoint_id", sa.String(ID), nullable=False),
        sa.Column("guardrail_id", sa.String(ID), nullable=False),
        sa.Column("execution_order", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(USER), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _workspace(),
        sa.PrimaryKeyConstraint("endpoint_id", "guardrail_id", name="guardrail_configs_pk"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.endpoint_id"],
            name="fk_guardrail_configs_endpoint_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guardrail_id"],
            ["guardrails.guardrail_id"],
            name="fk_guardrail_configs_guardrail_id",
            ondelete="CASCADE",
        ),
    )
    for column in ("endpoint_id", "guardrail_id"):
        step.create_index_once(f"idx_guardrail_configs_{column}", "guardrail_configs", [column])


def downgrade() -> None:
    for table in ("guardrail_configs", "guardrails"):
        step.drop_table_if_present(table)


def _workspace() -> sa.Column[str]:
    return sa.Column(
        "workspace", sa.String(WORKSPACE), nullable=False, server_default=sa.text("'default'")
    )
