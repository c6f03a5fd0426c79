"""Add model_versions.storage_location."""

import sqlalchemy as sa

from compat import migration as step

revision = "acf3f17fdcc7"
down_revision = "2d6e25af4d3e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once(
        "model_versions", sa.Column("storage_location", sa.String(500), nullable=True)
    )


def downgrade() -> None:
    step.drop_column_if_present("model_versions", "storage_location")
