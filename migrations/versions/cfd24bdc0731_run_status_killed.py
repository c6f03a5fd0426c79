"""Run status may also be KILLED: the column becomes an enum of five values with a new check."""

import sqlalchemy as sa
from alembic import op

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "cfd24bdc0731"
down_revision = "2b4d017a5e9b"
branch_labels = None
depends_on = None

OLD_STATUSES = ("SCHEDULED", "FAILED", "FINISHED", "RUNNING")
STATUSES = (*OLD_STATUSES, "KILLED")

LOSSY_COLUMNS = (lossy.Disallowed("runs", "status", ("KILLED",)),)


def upgrade() -> None:
    """Retype status as a non-native enum, whose own unnamed CHECK replaces the one named
    "status" (MySQL keeps that one until 0a8213491aaa, see `type_change_keeps_old_check`)."""
    has_new_check = any("KILLED" in check["sqltext"] for check in step.checks_on("runs", "status"))
    with step.altering("runs", frozen_tables.base("runs")) as batch:
        batch.alter_column(
            "status",
            existing_type=_status_enum(OLD_STATUSES, name="status"),
            existing_nullable=True,
            type_=_status_enum(STATUSES, with_check=not has_new_check),
        )


def _status_enum(
    values: tuple[str, ...], name: str | None = None, with_check: bool = True
) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=with_check)


def downgrade() -> None:
    """Back to VARCHAR(20) under the check named "status", once no run is KILLED."""
    lossy.check(LOSSY_COLUMNS)
    if step.dialect().alters_by_copying_table:
        step.rebuild(frozen_tables.base("runs"))
        return
    step.drop_checks_on("runs", "status", containing="KILLED")
    with step.altering("runs") as batch:
        batch.alter_column(
            "status",
            existing_type=sa.String(len("SCHEDULED")),
            existing_nullable=True,
            type_=sa.String(20),
        )
    if not any(check["name"] == "status" for check in step.checks_on("runs", "status")):
        op.create_check_constraint("status", "runs", sa.column("status").in_(OLD_STATUSES))
