"""Add evaluation_dataset_records.outputs (a JSON document)."""

import sqlalchemy as sa

from compat import migration as step

revision = "3da73c924c2f"
down_revision = "71994744cf8e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once(
        "evaluation_dataset_records", sa.Column("outputs", sa.JSON(), nullable=True)
    )


def downgrade() -> None:
    step.drop_column_if_present("evaluation_dataset_records", "outputs")
