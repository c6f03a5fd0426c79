"""Deleting an experiment deletes its datasets; the foreign key gets a name of its own."""

from compat import migration as step
from migrations import frozen_tables

revision = "0584bdc529eb"
down_revision = "f5a4f2784254"
branch_labels = None
depends_on = None

NAME = "fk_datasets_experiment_id_experiments"


def upgrade() -> None:
    step.replace_foreign_key(
        "datasets",
        "experiments",
        ["experiment_id"],
        ["experiment_id"],
        old_name=None,
        new_name=NAME,
        ondelete="CASCADE",
        copy_from=frozen_tables.datasets(NAME),
    )


def downgrade() -> None:
    step.replace_foreign_key(
        "datasets",
        "experiments",
        ["experiment_id"],
        ["experiment_id"],
        old_name=NAME,
        new_name=None,
        ondelete=None,
    )
