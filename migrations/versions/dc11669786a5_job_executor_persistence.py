"""Jobs run by executors that hold leases: scheduler_leases, job_locks and new jobs columns.

Jobs waiting or running under the old scheduler have no executor to finish them, so they end
as canceled.
"""

import time
from typing import Any

import sqlalchemy as sa
from alembic import op

from compat import migration as step

revision = "dc11669786a5"
down_revision = "75868b020152"
branch_labels = None
depends_on = None

# Job statuses as stored: waiting, running, and canceled.
PENDING, RUNNING, CANCELED = 0, 1, 5
JOB_INDEX = "index_jobs_status_lease_expires_at"
LOCK_INDEX = "index_job_locks_job_id"


def new_job_columns() -> list[sa.Column[Any]]:
    """The columns jobs gains, in order (a fresh list each time: a column has one table)."""
    return [
        sa.Column("executor_backend", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("progress", step.json_type(), nullable=True),
        sa.Column("progress_updated_at", sa.BigInteger(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("scoped_permissions", step.json_type(), nullable=True),
        # When a waiting job may next be claimed (epoch ms); NULL: now.
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    step.create_table_once(
        "scheduler_leases",
        sa.Column("lease_key", sa.String(255), nullable=False),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        sa.Column("ttl_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lease_key", name="scheduler_leases_pk"),
    )
    step.create_table_once(
        "job_locks",
        sa.Column("lock_key", sa.String(255), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_job_locks_job_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("lock_key", name="job_locks_pk"),
    )
    step.create_index_once(LOCK_INDEX, "job_locks", ["job_id"])
    for column in new_job_columns():
        step.add_column_once("jobs", column)
    step.create_index_once(JOB_INDEX, "jobs", ["status", "lease_expires_at"])
    _cancel_unfinished_jobs()


def _cancel_unfinished_jobs() -> None:
    jobs = sa.table(
        "jobs",
        sa.column("status", sa.Integer()),
        sa.column("last_update_time", sa.BigInteger()),
    )
    op.execute(
        jobs.update()
        .where(jobs.c.status.in_([PENDING, RUNNING]))
        .values(status=CANCELED, last_update_time=int(time.time() * 1000))
    )


def downgrade() -> None:
    """The canceled jobs stay canceled: nothing could run them below this revision either.
    job_locks goes with its index (MySQL would not drop the index its foreign key uses)."""
    step.drop_index_if_present(JOB_INDEX, "jobs")
    for column in reversed(new_job_columns()):
        step.drop_column_if_present("jobs", column.name, has_default=False)
    step.drop_table_if_present("job_locks")
    step.drop_table_if_present("scheduler_leases")
