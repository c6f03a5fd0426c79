"""is_nan of metrics and latest_metrics gets the CHECK a non-native boolean carries."""

from collections.abc import Callable
from functools import partial

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "39d1c3be5f05"
down_revision = "a8c4a736bde6"
branch_labels = None
depends_on = None

# The tables as they stand before this revision, for offline SQLite.
BEFORE: dict[str, Callable[[], sa.Table]] = {
    "latest_metrics": frozen_tables.latest_metrics,
    "metrics": partial(
        frozen_tables.metrics,
        step=True,
        is_nan=True,
        primary_key=("key", "timestamp", "step", "run_uuid", "value", "is_nan"),
    ),
}

NOT_DOWNGRADABLE = "trackstore does not remove the is_nan checks the database named itself"


def upgrade() -> None:
    """Retype is_nan as a boolean with its CHECK, adding the CHECK only where none is yet.

    Like MLflow's step this does not restate metrics.is_nan's DEFAULT, which MySQL therefore
    drops (c48cb773bb87 puts it back).
    """
    for table in ("latest_metrics", "metrics"):
        with step.altering(table, BEFORE[table]()) as batch:
            batch.alter_column(
                "is_nan",
                type_=sa.Boolean(create_constraint=not step.checks_on(table, "is_nan")),
                nullable=False,
            )


def downgrade() -> None:
    lossy.refuse(revision, NOT_DOWNGRADABLE)
