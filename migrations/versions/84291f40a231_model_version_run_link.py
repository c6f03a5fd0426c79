"""Add model_versions.run_link."""

import sqlalchemy as sa

from compat import migration as step

revision = "84291f40a231"
down_revision = "27a6a02d2cf1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once("model_versions", sa.Column("run_link", sa.String(500)))


def downgrade() -> None:
    step.drop_column_if_present("model_versions", "run_link")
