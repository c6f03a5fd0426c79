"""Run tag values up to 8000 characters (was 5000); going back refuses values that would not fit."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "f5a4f2784254"
down_revision = "4465047574b1"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Shrink("tags", "value", length=5000, wider=8000, nullable=True),)


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
    lossy.shrink(LOSSY_COLUMNS)
