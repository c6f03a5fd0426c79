"""Assessments of traces: feedback and expectations, each from a human, an LLM or code."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import DOUBLE, KEY_LENGTH, RUN_ID_LENGTH, Base
from store.models.spans import SPAN_ID_LENGTH
from store.models.traces import request_id_column

ASSESSMENT_ID_LENGTH = 50


class Assessment(Base):
    __tablename__ = "assessments"

    assessment_id: Mapped[str] = mapped_column(String(ASSESSMENT_ID_LENGTH))
    trace_id: Mapped[str] = request_id_column(__tablename__, "trace_id")
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    assessment_type: Mapped[str] = mapped_column(String(20))
    # JSON documents, kept as text.
    value: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)
    source_type: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    span_id: Mapped[str | None] = mapped_column(String(SPAN_ID_LENGTH))
    rationale: Mapped[str | None] = mapped_column(Text)
    # The assessment this one replaces, which is then no longer valid.
    overrides: Mapped[str | None] = mapped_column(String(ASSESSMENT_ID_LENGTH))
    valid: Mapped[bool] = mapped_column(Boolean)
    assessment_metadata: Mapped[str | None] = mapped_column(Text)
    # Copies from the trace and the value, so analytics need not join or parse.
    experiment_id: Mapped[int | None] = mapped_column(Integer)
    trace_timestamp_ms: Mapped[int | None] = mapped_column(BigInteger)
    aggregate_value: Mapped[float | None] = mapped_column(DOUBLE)
    is_numeric_value: Mapped[bool] = mapped_column(Boolean, server_default=false())

    __table_args__ = (
        PrimaryKeyConstraint("assessment_id", name="assessments_pk"),
        Index("index_assessments_trace_id_created_timestamp", "trace_id", "created_timestamp"),
        Index("index_assessments_run_id_created_timestamp", "run_id", "created_timestamp"),
        Index("index_assessments_last_updated_timestamp", "last_updated_timestamp"),
        Index("index_assessments_assessment_type", "assessment_type"),
        Index("idx_assessments_exp_trace_ts", "experiment_id", "trace_timestamp_ms"),
        Index("idx_assessments_exp_trace_ts_name", "experiment_id", "trace_timestamp_ms", "name"),
        Index("idx_assessments_exp_name_valid", "experiment_id", "name", "valid"),
    )
