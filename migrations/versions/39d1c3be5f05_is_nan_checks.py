"""is_nan of metrics and latest_metrics gets the CHECK a non-native boolean carries."""

from collections.abc import Callable
from functools import partial

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables

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
    """Drop the is_nan checks again, and on MySQL give metrics.is_nan its DEFAULT back."""
    if step.dialect().alters_by_copying_table:
        for before in BEFORE.values():
            step.rebuild(before())
        return
    for table in BEFORE:
        step.drop_checks_on(table, "is_nan")
    if step.dialect().type_change_drops_default:
        with step.altering("metrics") as batch:
            batch.alter_column(
                "is_nan",
                existing_type=sa.Boolean(create_constraint=False),
                existing_nullable=False,
                server_default="0",
            )
