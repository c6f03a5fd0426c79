"""Evaluation datasets of GenAI work (not served by trackstore): the sets, tags and records.

Not to be confused with `datasets`, the datasets runs log as inputs.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import USER_LENGTH, UUID_LENGTH, Base, workspace_column

DIGEST_LENGTH = 64


class EvaluationDataset(Base):
    __tablename__ = "evaluation_datasets"

    dataset_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str] = mapped_column(String(255))
    schema: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    created_time: Mapped[int | None] = mapped_column(BigInteger)
    last_update_time: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("dataset_id", name="evaluation_datasets_pk"),
        Index("index_evaluation_datasets_name", "name"),
        Index("index_evaluation_datasets_created_time", "created_time"),
        Index("idx_evaluation_datasets_workspace", "workspace"),
    )


def _dataset_id(table: str) -> Mapped[str]:
    return mapped_column(
        String(UUID_LENGTH),
        ForeignKey(
            "evaluation_datasets.dataset_id", name=f"fk_{table}_dataset_id", ondelete="CASCADE"
        ),
    )


class EvaluationDatasetTag(Base):
    __tablename__ = "evaluation_dataset_tags"

    dataset_id: Mapped[str] = _dataset_id(__tablename__)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(5000))

    __table_args__ = (
        PrimaryKeyConstraint("dataset_id", "key", name="evaluation_dataset_tags_pk"),
        Index("index_evaluation_dataset_tags_dataset_id", "dataset_id"),
    )


class EvaluationDatasetRecord(Base):
    """One record of a dataset; its inputs' hash keeps a dataset from holding one input twice."""

    __tablename__ = "evaluation_dataset_records"

    dataset_record_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    dataset_id: Mapped[str] = _dataset_id(__tablename__)
    inputs: Mapped[object] = mapped_column(JSON, nullable=False)
    expectations: Mapped[object | None] = mapped_column(JSON)
    tags: Mapped[object | None] = mapped_column(JSON)
    source: Mapped[object | None] = mapped_column(JSON)
    source_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    source_type: Mapped[str | None] = mapped_column(String(255))
    created_time: Mapped[int | None] = mapped_column(BigInteger)
    last_update_time: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    input_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    outputs: Mapped[object | None] = mapped_column(JSON)

    __table_args__ = (
        PrimaryKeyConstraint("dataset_record_id", name="evaluation_dataset_records_pk"),
        UniqueConstraint("dataset_id", "input_hash", name="unique_dataset_input"),
        Index("index_evaluation_dataset_records_dataset_id", "dataset_id"),
    )
