"""Dataset schemas beyond 64 KiB on MySQL (MEDIUMTEXT); other databases already hold them."""

import sqlalchemy as sa

from compat import migration as step

revision = "4465047574b1"
down_revision = "5b0e9adcef9c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if step.dialect().small_text:
        step.change_column_type(
            "datasets", "dataset_schema", sa.Text(), step.large_text(), nullable=True
        )


def downgrade() -> None:
    if step.dialect().small_text:
        step.change_column_type(
            "datasets", "dataset_schema", step.large_text(), sa.Text(), nullable=True
        )
