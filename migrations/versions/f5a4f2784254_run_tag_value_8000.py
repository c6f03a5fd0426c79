"""Run tag values up to 8000 characters (was 5000); going back refuses values that would not fit."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables

revision = "f5a4f2784254"
down_revision = "4465047574b1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.change_column_type(
        "tags",
        "value",
        sa.String(5000),
        sa.String(8000),
        nullable=True,
        copy_from=frozen_tables.tags(),
    )


def downgrade() -> None:
    step.change_column_type("tags", "value", sa.String(8000), sa.String(5000), nullable=True)
