"""Experiment tag values of any length (TEXT, was 5000); going back refuses longer values."""

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "17e22815139b"
down_revision = "1971f2d9a75b"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Shrink("experiment_tags", "value", length=5000, wider=None, nullable=True),)


def upgrade() -> None:
    """MySQL's plain TEXT stops at 64 KiB, too little for 20,000 four-byte characters."""
    step.change_column_type(
        "experiment_tags",
        "value",
        frozen_tables.experiment_tags().c.value.type,
        step.unicode_text(),
        nullable=True,
        copy_from=frozen_tables.experiment_tags(),
    )


def downgrade() -> None:
    lossy.shrink(LOSSY_COLUMNS)
