"""Deleting an experiment deletes its traces (trace_info's key to experiments cascades)."""

from compat import migration as step
from migrations import frozen_tables

revision = "6f8d9c3b2a1e"
down_revision = "c3d9e7f1a2b4"
branch_labels = None
depends_on = None

NAME = "fk_trace_info_experiment_id"


def upgrade() -> None:
    _set_ondelete("CASCADE", before=None)


def downgrade() -> None:
    _set_ondelete(None, before="CASCADE")


def _set_ondelete(ondelete: str | None, before: str | None) -> None:
    step.replace_foreign_key(
        "trace_info",
        "experiments",
        ["experiment_id"],
        ["experiment_id"],
        old_name=NAME,
        new_name=NAME,
        ondelete=ondelete,
        copy_from=frozen_tables.trace_info(experiment_ondelete=before),
    )
