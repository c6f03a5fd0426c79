"""Add runs.deleted_time."""

import sqlalchemy as sa

from compat import migration as step

revision = "0c779009ac13"
down_revision = "bd07f7e963c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once("runs", sa.Column("deleted_time", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    step.drop_column_if_present("runs", "deleted_time")
