"""Param values up to 500 characters (was 250); going back refuses values that would not fit."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "cc1f77228345"
down_revision = "0c779009ac13"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Shrink("params", "value", length=250, wider=500, nullable=False),)


def upgrade() -> None:
    step.change_column_type(
        "params",
        "value",
        sa.String(250),
        sa.String(500),
        nullable=False,
        copy_from=frozen_tables.params(250),
    )


def downgrade() -> None:
    lossy.shrink(LOSSY_COLUMNS)
