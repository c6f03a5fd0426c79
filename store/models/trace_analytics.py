"""Daily rollups of trace, span-cost and assessment numbers that MLflow's trace analytics
read (not served by trackstore), and the days waiting to be rolled up again."""

from datetime import date

from sqlalchemy import (
    BigInteger,
    Date,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import BigSerial, prefixed_index
from store.models.base import DOUBLE, KEY_LENGTH, Base
from store.models.spans import MODEL_LABEL

GROUPING_LENGTH = 50
# How much of a model's name and provider a lookup key holds where keys are short.
MODEL_LABEL_PREFIX = 64


def _rollup_id() -> Mapped[int]:
    return mapped_column(BigSerial, Identity(always=False), autoincrement=True)


class TraceMetricDailyRollup(Base):
    __tablename__ = "sql_trace_metric_daily_rollups"

    id: Mapped[int] = _rollup_id()
    experiment_id: Mapped[int] = mapped_column(Integer)
    rollup_day: Mapped[date] = mapped_column(Date)
    metric_name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    grouping_set: Mapped[str] = mapped_column(String(GROUPING_LENGTH))
    trace_status: Mapped[str | None] = mapped_column(String(50))
    sample_count: Mapped[int] = mapped_column(BigInteger)
    sum_value: Mapped[float | None] = mapped_column(DOUBLE)
    min_value: Mapped[float | None] = mapped_column(DOUBLE)
    max_value: Mapped[float | None] = mapped_column(DOUBLE)
    p50_value: Mapped[float | None] = mapped_column(DOUBLE)
    p90_value: Mapped[float | None] = mapped_column(DOUBLE)
    p99_value: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="sql_trace_metric_daily_rollups_pk"),
        Index(
            "idx_trace_rollups_lookup",
            "experiment_id",
            "rollup_day",
            "metric_name",
            "grouping_set",
            "trace_status",
        ),
    )


class SpanCostDailyRollup(Base):
    __tablename__ = "sql_span_cost_daily_rollups"

    id: Mapped[int] = _rollup_id()
    experiment_id: Mapped[int] = mapped_column(Integer)
    rollup_day: Mapped[date] = mapped_column(Date)
    metric_name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    grouping_set: Mapped[str] = mapped_column(String(GROUPING_LENGTH))
    model_name: Mapped[str | None] = mapped_column(MODEL_LABEL)
    model_provider: Mapped[str | None] = mapped_column(MODEL_LABEL)
    sample_count: Mapped[int] = mapped_column(BigInteger)
    sum_value: Mapped[float | None] = mapped_column(DOUBLE)
    min_value: Mapped[float | None] = mapped_column(DOUBLE)
    max_value: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="sql_span_cost_daily_rollups_pk"),
        prefixed_index(
            "idx_span_cost_rollups_lookup",
            "experiment_id",
            "rollup_day",
            "metric_name",
            "grouping_set",
            "model_name",
            "model_provider",
            prefixes={"model_name": MODEL_LABEL_PREFIX, "model_provider": MODEL_LABEL_PREFIX},
        ),
    )


class AssessmentDailyRollup(Base):
    __tablename__ = "sql_assessment_daily_rollups"

    id: Mapped[int] = _rollup_id()
    experiment_id: Mapped[int] = mapped_column(Integer)
    rollup_day: Mapped[date] = mapped_column(Date)
    metric_name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    grouping_set: Mapped[str] = mapped_column(String(GROUPING_LENGTH))
    sample_count: Mapped[int] = mapped_column(BigInteger)
    sum_value: Mapped[float | None] = mapped_column(DOUBLE)
    min_value: Mapped[float | None] = mapped_column(DOUBLE)
    max_value: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="sql_assessment_daily_rollups_pk"),
        Index(
            "idx_assessment_rollups_lookup",
            "experiment_id",
            "rollup_day",
            "metric_name",
            "grouping_set",
        ),
    )


class RollupRebuildQueue(Base):
    """A day of an experiment whose rollups of one family must be computed again."""

    __tablename__ = "sql_trace_rollup_rebuild_queue"

    experiment_id: Mapped[int] = mapped_column(Integer, autoincrement=False)
    rollup_day: Mapped[date] = mapped_column(Date)
    rollup_family: Mapped[str] = mapped_column(String(GROUPING_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint(
            "experiment_id", "rollup_day", "rollup_family", name="sql_trace_rollup_rebuild_queue_pk"
        ),
    )
