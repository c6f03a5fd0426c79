"""Param values up to 8000 characters (was 500); going back refuses values that would not fit."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "2d6e25af4d3e"
down_revision = "7f2a7d5fae7d"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Shrink("params", "value", length=500, wider=8000, nullable=False),)


def upgrade() -> None:
    step.change_column_type(
        "params",
        "value",
        sa.String(500),
        sa.String(8000),
        nullable=False,
        copy_from=frozen_tables.params(500),
    )


def downgrade() -> None:
    lossy.shrink(LOSSY_COLUMNS)
