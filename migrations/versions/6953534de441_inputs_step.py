"""Add inputs.step (0 for existing rows)."""

import sqlalchemy as sa

from compat import migration as step

revision = "6953534de441"
down_revision = "400f98739977"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once(
        "inputs", sa.Column("step", sa.BigInteger(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    step.drop_column_if_present("inputs", "step")
