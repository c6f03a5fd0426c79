"""Add jobs.status_details, a JSON document that says more than the status itself."""

import sqlalchemy as sa

from compat import migration as step

revision = "c3d6457b6d8a"
down_revision = "76601a5f987d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once("jobs", sa.Column("status_details", sa.JSON(), nullable=True))


def downgrade() -> None:
    step.drop_column_if_present("jobs", "status_details")
