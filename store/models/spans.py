"""Spans of traces, one row per span with its whole content, and numbers measured per span."""

from sqlalchemy import (
    BigInteger,
    Computed,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    Unicode,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import LongestText, covering_index
from store.models.base import DOUBLE, KEY_LENGTH, Base
from store.models.traces import REQUEST_ID_LENGTH, request_id_column

SPAN_ID_LENGTH = 50
# Model names come from providers in any script: national characters where that matters.
MODEL_LABEL = Unicode(500)


COSTS = ("input_cost", "output_cost", "total_cost")


def _cost_index(name: str, leading: str) -> Index:
    """Costs of the spans that have any, by time: cost analytics read only this index."""
    return covering_index(
        name,
        leading,
        "start_time_unix_nano",
        include=(*COSTS, "model_name", "model_provider"),
        where=" OR ".join(f"{cost} IS NOT NULL" for cost in COSTS),
    )


class Span(Base):
    __tablename__ = "spans"

    trace_id: Mapped[str] = request_id_column(__tablename__, "trace_id")
    experiment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("experiments.experiment_id", name="fk_spans_experiment_id")
    )
    span_id: Mapped[str] = mapped_column(String(SPAN_ID_LENGTH))
    parent_span_id: Mapped[str | None] = mapped_column(String(SPAN_ID_LENGTH))
    name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(50))
    start_time_unix_nano: Mapped[int] = mapped_column(BigInteger)
    end_time_unix_nano: Mapped[int | None] = mapped_column(BigInteger)
    # Stored by the database, so spans can be sorted and filtered by duration on an index.
    duration_ns: Mapped[int | None] = mapped_column(
        BigInteger, Computed("end_time_unix_nano - start_time_unix_nano", persisted=True)
    )
    content: Mapped[str] = mapped_column(LongestText)
    input_cost: Mapped[float | None] = mapped_column(DOUBLE)
    output_cost: Mapped[float | None] = mapped_column(DOUBLE)
    total_cost: Mapped[float | None] = mapped_column(DOUBLE)
    model_name: Mapped[str | None] = mapped_column(MODEL_LABEL)
    model_provider: Mapped[str | None] = mapped_column(MODEL_LABEL)

    __table_args__ = (
        PrimaryKeyConstraint("trace_id", "span_id", name="spans_pk"),
        Index("index_spans_experiment_id_status_type", "experiment_id", "status", "type"),
        Index("index_spans_experiment_id_type_status", "experiment_id", "type", "status"),
        Index("index_spans_experiment_id_duration", "experiment_id", "duration_ns"),
        Index("index_spans_experiment_id_start_time", "experiment_id", "start_time_unix_nano"),
        _cost_index("idx_spans_cost_exp_time_cover", "experiment_id"),
        _cost_index("idx_spans_cost_trace_time_cover", "trace_id"),
    )


class SpanMetric(Base):
    """A number measured on one span (tokens, cost), one row per key."""

    __tablename__ = "span_metrics"

    trace_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH))
    span_id: Mapped[str] = mapped_column(String(SPAN_ID_LENGTH))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("trace_id", "span_id", "key", name="span_metrics_pk"),
        ForeignKeyConstraint(
            ["trace_id", "span_id"],
            ["spans.trace_id", "spans.span_id"],
            name="fk_span_metrics_span",
            ondelete="CASCADE",
        ),
        Index("index_span_metrics_trace_id_span_id", "trace_id", "span_id"),
    )
