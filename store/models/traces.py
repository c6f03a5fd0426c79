"""Traces: one trace_info row per trace, with its tags, request metadata and metrics.

trace_info also carries what searches and the trace list read without opening the spans:
previews of the request and response, the trace's name and session, and token counts and
costs summed over its spans.
"""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import DOUBLE, KEY_LENGTH, Base

REQUEST_ID_LENGTH = 50
PREVIEW_LENGTH = 1000


class TraceInfo(Base):
    __tablename__ = "trace_info"

    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH))
    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id", name="fk_trace_info_experiment_id", ondelete="CASCADE"
        ),
    )
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    execution_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(50))
    client_request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH))
    request_preview: Mapped[str | None] = mapped_column(String(PREVIEW_LENGTH))
    response_preview: Mapped[str | None] = mapped_column(String(PREVIEW_LENGTH))
    # Bumped each time the trace's stored payload is rewritten, so readers notice.
    db_payload_generation: Mapped[int] = mapped_column(Integer, server_default="0")
    trace_name: Mapped[str | None] = mapped_column(String(4096))
    session_id: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    total_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_read_input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_creation_input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_creation_input_tokens_above_1hr: Mapped[int | None] = mapped_column(BigInteger)
    input_cost: Mapped[float | None] = mapped_column(DOUBLE)
    output_cost: Mapped[float | None] = mapped_column(DOUBLE)
    total_cost: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("request_id", name="trace_info_pk"),
        Index("index_trace_info_experiment_id_timestamp_ms", "experiment_id", "timestamp_ms"),
        Index("index_trace_info_timestamp_ms_request_id", "timestamp_ms", "request_id"),
        Index("index_trace_info_experiment_id_session_id", "experiment_id", "session_id"),
    )


def request_id_column(table: str, name: str = "request_id") -> Mapped[str]:
    """The trace a row belongs to, removed with it."""
    return mapped_column(
        name,
        String(REQUEST_ID_LENGTH),
        ForeignKey("trace_info.request_id", name=f"fk_{table}_{name}", ondelete="CASCADE"),
    )


class TraceTag(Base):
    __tablename__ = "trace_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(8000))
    request_id: Mapped[str] = request_id_column(__tablename__)

    __table_args__ = (
        PrimaryKeyConstraint("key", "request_id", name="trace_tag_pk"),
        Index("index_trace_tags_request_id", "request_id"),
    )


class TraceRequestMetadata(Base):
    __tablename__ = "trace_request_metadata"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(8000))
    request_id: Mapped[str] = request_id_column(__tablename__)

    __table_args__ = (
        PrimaryKeyConstraint("key", "request_id", name="trace_request_metadata_pk"),
        Index("index_trace_request_metadata_request_id", "request_id"),
    )


class TraceMetric(Base):
    """A number measured over a whole trace (token counts, costs), one row per key."""

    __tablename__ = "trace_metrics"

    request_id: Mapped[str] = request_id_column(__tablename__)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[float | None] = mapped_column(DOUBLE)

    __table_args__ = (
        PrimaryKeyConstraint("request_id", "key", name="trace_metrics_pk"),
        Index("index_trace_metrics_request_id", "request_id"),
    )
