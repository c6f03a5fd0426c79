"""Human review of traces (not served by trackstore): label schemas, and queues of items with
their reviewers."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import KEY_LENGTH, USER_LENGTH, UUID_LENGTH, Base


def _experiment_id(table: str) -> Mapped[int]:
    return mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id", name=f"fk_{table}_experiment_id", ondelete="CASCADE"
        ),
    )


class LabelSchema(Base):
    """What a reviewer is asked for (a rating, a category, free text...) in an experiment."""

    __tablename__ = "label_schemas"

    schema_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    experiment_id: Mapped[int] = _experiment_id(__tablename__)
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    type: Mapped[str] = mapped_column(String(16))
    instruction: Mapped[str | None] = mapped_column(Text)
    enable_comment: Mapped[bool] = mapped_column(Boolean, server_default="0")
    input_type: Mapped[str] = mapped_column(String(32))
    input_config: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_time: Mapped[int] = mapped_column(BigInteger)
    last_update_time: Mapped[int] = mapped_column(BigInteger)
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=false())

    __table_args__ = (
        PrimaryKeyConstraint("schema_id", name="label_schemas_pk"),
        UniqueConstraint("experiment_id", "name", name="uq_label_schemas_exp_name"),
        Index("index_label_schemas_experiment_id", "experiment_id"),
    )


class ReviewQueue(Base):
    __tablename__ = "review_queues"

    queue_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    experiment_id: Mapped[int] = _experiment_id(__tablename__)
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    queue_type: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    creation_time_ms: Mapped[int] = mapped_column(BigInteger)
    last_update_time_ms: Mapped[int] = mapped_column(BigInteger)
    # The name folded for comparison, so two queues cannot differ only in case.
    name_key: Mapped[str] = mapped_column(String(KEY_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("queue_id", name="review_queues_pk"),
        UniqueConstraint("experiment_id", "name_key", name="uq_review_queues_experiment_name_key"),
        Index("index_review_queues_experiment_id", "experiment_id"),
    )


def _queue_id(table: str) -> Mapped[str]:
    return mapped_column(
        String(UUID_LENGTH),
        ForeignKey("review_queues.queue_id", name=f"fk_{table}_queue_id", ondelete="CASCADE"),
    )


class ReviewQueueUser(Base):
    __tablename__ = "review_queue_users"

    queue_id: Mapped[str] = _queue_id(__tablename__)
    user_id: Mapped[str] = mapped_column(String(KEY_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("queue_id", "user_id", name="review_queue_users_pk"),
        Index("index_review_queue_users_user_id", "user_id"),
    )


class ReviewQueueItem(Base):
    __tablename__ = "review_queue_items"

    queue_id: Mapped[str] = _queue_id(__tablename__)
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16))
    completed_by: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    completed_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    creation_time_ms: Mapped[int] = mapped_column(BigInteger)
    last_update_time_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("queue_id", "item_id", name="review_queue_items_pk"),
        Index("index_review_queue_items_queue_id_status", "queue_id", "status"),
        Index("index_review_queue_items_item_id", "item_id"),
    )


class ReviewQueueLabelSchema(Base):
    __tablename__ = "review_queue_label_schemas"

    queue_id: Mapped[str] = _queue_id(__tablename__)
    schema_id: Mapped[str] = mapped_column(String(UUID_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("queue_id", "schema_id", name="review_queue_label_schemas_pk"),
        Index("index_review_queue_label_schemas_schema_id", "schema_id"),
    )
