"""Drop the old run status check that MySQL kept beside the new one (a no-op elsewhere)."""

import sqlalchemy as sa
from alembic import op

from compat import migration as step
from migrations import lossy

revision = "0a8213491aaa"
down_revision = "cfd24bdc0731"
branch_labels = None
depends_on = None

OLD_CHECK = "status"
OLD_STATUSES = ("SCHEDULED", "FAILED", "FINISHED", "RUNNING")
# The old check forbids KILLED (on MySQL; elsewhere cfd24bdc0731, one step further, does).
LOSSY_COLUMNS = (lossy.Disallowed("runs", "status", ("KILLED",)),)


def upgrade() -> None:
    if step.dialect().type_change_keeps_old_check and _old_check_present():
        op.drop_constraint(OLD_CHECK, "runs", type_="check")


def _old_check_present() -> bool:
    """Offline there is nothing to ask, so the drop is written out."""
    names = [check["name"] for check in step.checks_on("runs", "status")]
    return step.offline() or OLD_CHECK in names


def downgrade() -> None:
    if step.dialect().type_change_keeps_old_check and not _old_check_present():
        lossy.check(LOSSY_COLUMNS)
        op.create_check_constraint(OLD_CHECK, "runs", sa.column("status").in_(OLD_STATUSES))
