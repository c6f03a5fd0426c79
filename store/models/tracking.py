"""Experiments and runs with their tags, params and metrics."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import LargeUnicodeText, where_flag
from store.models.base import (
    DOUBLE,
    EXPERIMENT_NAME_LENGTH,
    KEY_LENGTH,
    LIFECYCLE_STAGES,
    RUN_ID_LENGTH,
    Base,
    one_of,
    workspace_column,
)

SOURCE_TYPES = ("NOTEBOOK", "JOB", "LOCAL", "UNKNOWN", "PROJECT")
RUN_STATUSES = ("SCHEDULED", "FAILED", "FINISHED", "RUNNING", "KILLED")


def _run_uuid() -> Mapped[str]:
    return mapped_column(String(RUN_ID_LENGTH), ForeignKey("runs.run_uuid"))


def _is_nan() -> Boolean:
    """A boolean that carries its CHECK (is_nan IN (0, 1)) where booleans are small integers."""
    return Boolean(create_constraint=True)


class Experiment(Base):
    """An experiment; its name is unique within its workspace."""

    __tablename__ = "experiments"

    experiment_id: Mapped[int] = mapped_column(Integer, autoincrement=True)
    name: Mapped[str] = mapped_column(String(EXPERIMENT_NAME_LENGTH))
    artifact_location: Mapped[str | None] = mapped_column(String(256))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(32))
    creation_time: Mapped[int | None] = mapped_column(BigInteger)
    last_update_time: Mapped[int | None] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        one_of("lifecycle_stage", LIFECYCLE_STAGES, name="experiments_lifecycle_stage"),
        PrimaryKeyConstraint("experiment_id", name="experiment_pk"),
        UniqueConstraint("workspace", "name", name="uq_experiments_workspace_name"),
        Index("idx_experiments_workspace", "workspace"),
        Index("idx_experiments_workspace_creation_time", "workspace", "creation_time"),
    )


class ExperimentTag(Base):
    __tablename__ = "experiment_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(LargeUnicodeText)
    experiment_id: Mapped[int] = mapped_column(Integer, ForeignKey("experiments.experiment_id"))

    __table_args__ = (PrimaryKeyConstraint("key", "experiment_id", name="experiment_tag_pk"),)


class Run(Base):
    __tablename__ = "runs"

    run_uuid: Mapped[str] = mapped_column(String(RUN_ID_LENGTH))
    name: Mapped[str | None] = mapped_column(String(250))
    source_type: Mapped[str | None] = mapped_column(String(20))
    source_name: Mapped[str | None] = mapped_column(String(500))
    entry_point_name: Mapped[str | None] = mapped_column(String(50))
    user_id: Mapped[str | None] = mapped_column(String(256))
    # Nine characters: the column dates from when the longest status was SCHEDULED.
    status: Mapped[str | None] = mapped_column(String(9))
    start_time: Mapped[int | None] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger)
    source_version: Mapped[str | None] = mapped_column(String(50))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    artifact_uri: Mapped[str | None] = mapped_column(String(200))
    experiment_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("experiments.experiment_id")
    )
    deleted_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        one_of("source_type", SOURCE_TYPES, name="source_type"),
        one_of("status", RUN_STATUSES),
        one_of("lifecycle_stage", LIFECYCLE_STAGES, name="runs_lifecycle_stage"),
        PrimaryKeyConstraint("run_uuid", name="run_pk"),
    )


class RunTag(Base):
    __tablename__ = "tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(8000))
    run_uuid: Mapped[str] = _run_uuid()

    __table_args__ = (
        PrimaryKeyConstraint("key", "run_uuid", name="tag_pk"),
        Index("index_tags_run_uuid", "run_uuid"),
    )


class Param(Base):
    __tablename__ = "params"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(8000))
    run_uuid: Mapped[str] = _run_uuid()

    __table_args__ = (
        PrimaryKeyConstraint("key", "run_uuid", name="param_pk"),
        Index("index_params_run_uuid", "run_uuid"),
    )


class Metric(Base):
    __tablename__ = "metrics"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[float] = mapped_column(DOUBLE)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    run_uuid: Mapped[str] = _run_uuid()
    step: Mapped[int] = mapped_column(BigInteger, server_default="0")
    is_nan: Mapped[bool] = mapped_column(_is_nan(), server_default="0")

    __table_args__ = (
        PrimaryKeyConstraint(
            "key", "timestamp", "step", "run_uuid", "value", "is_nan", name="metric_pk"
        ),
        Index("index_metrics_run_uuid", "run_uuid"),
        Index("index_metrics_run_uuid_key_step", "run_uuid", "key", "step"),
        # Where MODIFY COLUMN drops defaults, c48cb773bb87 restored this one by retyping the
        # column, which left a second copy of the boolean's CHECK behind.
        one_of("is_nan", (0, 1)).ddl_if(callable_=where_flag("type_change_drops_default")),
    )


class LatestMetric(Base):
    __tablename__ = "latest_metrics"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[float] = mapped_column(DOUBLE)
    timestamp: Mapped[int | None] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(_is_nan())
    run_uuid: Mapped[str] = _run_uuid()

    __table_args__ = (
        PrimaryKeyConstraint("key", "run_uuid", name="latest_metric_pk"),
        Index("index_latest_metrics_run_uuid", "run_uuid"),
    )
