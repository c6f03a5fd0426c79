"""Add endpoint_bindings.display_name."""

import sqlalchemy as sa

from compat import migration as step

revision = "d3e4f5a6b7c8"
down_revision = "2c33131f4dae"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once("endpoint_bindings", sa.Column("display_name", sa.String(255)))


def downgrade() -> None:
    step.drop_column_if_present("endpoint_bindings", "display_name")
