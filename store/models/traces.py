"""Traces: one trace_info row per trace, with its tags and request metadata."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import KEY_LENGTH, Base

REQUEST_ID_LENGTH = 50


class TraceInfo(Base):
    __tablename__ = "trace_info"

    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_LENGTH))
    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("experiments.experiment_id", name="fk_trace_info_experiment_id"),
    )
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    execution_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(50))

    __table_args__ = (
        PrimaryKeyConstraint("request_id", name="trace_info_pk"),
        Index("index_trace_info_experiment_id_timestamp_ms", "experiment_id", "timestamp_ms"),
    )


def _request_id(table: str) -> Mapped[str]:
    return mapped_column(
        String(REQUEST_ID_LENGTH),
        ForeignKey("trace_info.request_id", name=f"fk_{table}_request_id", ondelete="CASCADE"),
    )


class TraceTag(Base):
    __tablename__ = "trace_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(8000))
    request_id: Mapped[str] = _request_id(__tablename__)

    __table_args__ = (
        PrimaryKeyConstraint("key", "request_id", name="trace_tag_pk"),
        Index("index_trace_tags_request_id", "request_id"),
    )


class TraceRequestMetadata(Base):
    __tablename__ = "trace_request_metadata"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(8000))
    request_id: Mapped[str] = _request_id(__tablename__)

    __table_args__ = (
        PrimaryKeyConstraint("key", "request_id", name="trace_request_metadata_pk"),
        Index("index_trace_request_metadata_request_id", "request_id"),
    )
