"""jobs.creator: who created a job, for per-job ownership under basic auth."""

import sqlalchemy as sa

from compat import migration as step

revision = "b7e2c1a4d9f3"
down_revision = "17e22815139b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once("jobs", sa.Column("creator", sa.String(255), nullable=True))


def downgrade() -> None:
    step.drop_column_if_present("jobs", "creator", has_default=False)
