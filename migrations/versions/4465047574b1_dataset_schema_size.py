"""Dataset schemas beyond 64 KiB on MySQL (MEDIUMTEXT); other databases already hold them."""

from dataclasses import dataclass

import sqlalchemy as sa

from compat import migration as step
from migrations import lossy

revision = "4465047574b1"
down_revision = "5b0e9adcef9c"
branch_labels = None
depends_on = None


@dataclass(frozen=True)
class BackToText:
    """Going down returns a column to plain TEXT, which is small on some databases."""

    table: str
    column: str
    unfit_values = f"larger than plain TEXT holds ({step.SMALL_TEXT_BYTES} bytes)"

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        return step.TooLargeForText(column)


LOSSY_COLUMNS = (BackToText("datasets", "dataset_schema"),)


def upgrade() -> None:
    if step.dialect().small_text:
        step.change_column_type(
            "datasets", "dataset_schema", sa.Text(), step.large_text(), nullable=True
        )


def downgrade() -> None:
    if step.dialect().small_text:
        lossy.check(LOSSY_COLUMNS)
        step.change_column_type(
            "datasets", "dataset_schema", step.large_text(), sa.Text(), nullable=True
        )
