"""MLflow's background jobs (not run by trackstore), their locks, and the scheduler's leases."""

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import nullable_where
from store.models.base import DOUBLE, USER_LENGTH, UUID_LENGTH, Base, workspace_column


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    creation_time: Mapped[int] = mapped_column(BigInteger)
    job_name: Mapped[str] = mapped_column(
        String(500), info=nullable_where("rename_forgets_not_null")
    )
    params: Mapped[str] = mapped_column(Text)
    timeout: Mapped[float | None] = mapped_column(DOUBLE)
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer)
    last_update_time: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()
    status_details: Mapped[object | None] = mapped_column(JSON)
    creator: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    executor_backend: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    lease_expires_at: Mapped[int | None] = mapped_column(BigInteger)
    status_message: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[object | None] = mapped_column(JSON)
    progress_updated_at: Mapped[int | None] = mapped_column(BigInteger)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    scoped_permissions: Mapped[object | None] = mapped_column(JSON)
    next_attempt_at: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="jobs_pk"),
        Index(
            "index_jobs_name_status_creation_time",
            "job_name",
            "workspace",
            "status",
            "creation_time",
        ),
        Index("index_jobs_status_lease_expires_at", "status", "lease_expires_at"),
    )


class JobLock(Base):
    __tablename__ = "job_locks"

    lock_key: Mapped[str] = mapped_column(String(255))
    job_id: Mapped[str] = mapped_column(
        String(UUID_LENGTH), ForeignKey("jobs.id", name="fk_job_locks_job_id", ondelete="CASCADE")
    )
    acquired_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("lock_key", name="job_locks_pk"),
        Index("index_job_locks_job_id", "job_id"),
    )


class SchedulerLease(Base):
    __tablename__ = "scheduler_leases"

    lease_key: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[int] = mapped_column(BigInteger)
    ttl_seconds: Mapped[int] = mapped_column(Integer)

    __table_args__ = (PrimaryKeyConstraint("lease_key", name="scheduler_leases_pk"),)
