"""Add experiments.creation_time and experiments.last_update_time."""

import sqlalchemy as sa

from compat import migration as step

revision = "97727af70f4d"
down_revision = "cc1f77228345"
branch_labels = None
depends_on = None

COLUMNS = ("creation_time", "last_update_time")


def upgrade() -> None:
    for name in COLUMNS:
        step.add_column_once("experiments", sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        step.drop_column_if_present("experiments", name)
