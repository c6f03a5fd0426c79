"""Model version tag values of any length (TEXT, was 5000); going back refuses longer values."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "bda7b8c39065"
down_revision = "6953534de441"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (
    lossy.Shrink("model_version_tags", "value", length=5000, wider=None, nullable=True),
)


def upgrade() -> None:
    step.change_column_type(
        "model_version_tags",
        "value",
        sa.String(5000),
        sa.Text(),
        nullable=True,
        copy_from=frozen_tables.model_version_tags(),
    )


def downgrade() -> None:
    lossy.shrink(LOSSY_COLUMNS)
