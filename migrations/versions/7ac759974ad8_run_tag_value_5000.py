"""Run tag values up to 5000 characters (was 250); going back refuses values that would not fit."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "7ac759974ad8"
down_revision = "df50e92ffc5e"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Shrink("tags", "value", length=250, wider=5000, nullable=True),)


def upgrade() -> None:
    step.change_column_type(
        "tags",
        "value",
        sa.String(250),
        sa.String(5000),
        nullable=True,
        copy_from=frozen_tables.base("tags"),
    )


def downgrade() -> None:
    lossy.shrink(LOSSY_COLUMNS)
