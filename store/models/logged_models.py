"""Logged models and their params, tags and metrics."""

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import (
    DOUBLE,
    LIFECYCLE_STAGES,
    RUN_ID_LENGTH,
    UUID_LENGTH,
    Base,
    one_of,
)


def _experiment_id(table: str, ondelete: str | None = None) -> Mapped[int]:
    return mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id", name=f"fk_{table}_experiment_id", ondelete=ondelete
        ),
    )


def _model_id(table: str) -> Mapped[str]:
    return mapped_column(
        String(UUID_LENGTH),
        ForeignKey("logged_models.model_id", name=f"fk_{table}_model_id", ondelete="CASCADE"),
    )


class LoggedModel(Base):
    __tablename__ = "logged_models"

    model_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    experiment_id: Mapped[int] = _experiment_id(__tablename__, ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(500))
    artifact_location: Mapped[str] = mapped_column(String(1000))
    creation_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(32))
    model_type: Mapped[str | None] = mapped_column(String(500))
    source_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    status_message: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        PrimaryKeyConstraint("model_id", name="logged_models_pk"),
        one_of("lifecycle_stage", LIFECYCLE_STAGES, name="logged_models_lifecycle_stage_check"),
    )


class LoggedModelParam(Base):
    __tablename__ = "logged_model_params"

    model_id: Mapped[str] = _model_id(__tablename__)
    experiment_id: Mapped[int] = _experiment_id(__tablename__)
    param_key: Mapped[str] = mapped_column(String(255))
    param_value: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("model_id", "param_key", name="logged_model_params_pk"),)


class LoggedModelTag(Base):
    __tablename__ = "logged_model_tags"

    model_id: Mapped[str] = _model_id(__tablename__)
    experiment_id: Mapped[int] = _experiment_id(__tablename__)
    tag_key: Mapped[str] = mapped_column(String(255))
    tag_value: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("model_id", "tag_key", name="logged_model_tags_pk"),)


class LoggedModelMetric(Base):
    __tablename__ = "logged_model_metrics"

    model_id: Mapped[str] = _model_id(__tablename__)
    metric_name: Mapped[str] = mapped_column(String(500))
    metric_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    metric_step: Mapped[int] = mapped_column(BigInteger)
    metric_value: Mapped[float | None] = mapped_column(DOUBLE)
    experiment_id: Mapped[int] = _experiment_id(__tablename__)
    run_id: Mapped[str] = mapped_column(
        String(RUN_ID_LENGTH),
        ForeignKey("runs.run_uuid", name=f"fk_{__tablename__}_run_id", ondelete="CASCADE"),
    )
    dataset_uuid: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    dataset_name: Mapped[str | None] = mapped_column(String(500))
    dataset_digest: Mapped[str | None] = mapped_column(String(UUID_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint(
            "model_id",
            "metric_name",
            "metric_timestamp_ms",
            "metric_step",
            "run_id",
            name="logged_model_metrics_pk",
        ),
        Index("index_logged_model_metrics_model_id", "model_id"),
    )
