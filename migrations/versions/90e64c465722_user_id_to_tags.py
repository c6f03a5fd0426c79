"""Copy runs.user_id into an `mlflow.user` run tag, for the runs MLflow's own step reaches."""

import sqlalchemy as sa
from alembic import op

from compat import migration as step

revision = "90e64c465722"
down_revision = "451aebb31d03"
branch_labels = None
depends_on = None

USER_TAG = "mlflow.user"

runs = sa.table("runs", sa.column("run_uuid"), sa.column("user_id"), sa.column("experiment_id"))
tags = sa.table("tags", sa.column("key"), sa.column("value"), sa.column("run_uuid"))


def upgrade() -> None:
    """Tag the first run of each experiment, in the order a plain scan of `runs` meets them.

    That is what MLflow's step does: its run model names experiment_id as the primary key, so
    the ORM keeps one run per experiment, the first one the table scan returns, and skips it
    when its user_id is empty or it already has the tag. Runs without an experiment stop
    MLflow's step outright; here they are left untagged. The runs column stays as it is.
    """
    first = sa.func.row_number().over(
        partition_by=runs.c.experiment_id,
        order_by=step.dialect().scan_order(runs.c.run_uuid),
    )
    ranked = (
        sa.select(runs.c.run_uuid, runs.c.user_id, first.label("position"))
        .where(runs.c.experiment_id.is_not(None))
        .subquery("ranked")
    )
    tagged = sa.exists().where(tags.c.run_uuid == ranked.c.run_uuid, tags.c.key == USER_TAG)
    chosen = sa.select(sa.literal(USER_TAG), ranked.c.user_id, ranked.c.run_uuid).where(
        ranked.c.position == 1, sa.func.char_length(ranked.c.user_id) > 0, ~tagged
    )
    op.execute(tags.insert().from_select(["key", "value", "run_uuid"], chosen))


def downgrade() -> None:
    """Nothing to undo: the schema did not change and runs.user_id still holds every value."""
