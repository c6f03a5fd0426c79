"""Webhooks (not served by trackstore) and the registry events each one listens for."""

from sqlalchemy import BigInteger, ForeignKey, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, workspace_column

WEBHOOK_ID_LENGTH = 256


class Webhook(Base):
    __tablename__ = "webhooks"

    webhook_id: Mapped[str] = mapped_column(String(WEBHOOK_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), server_default="ACTIVE")
    # Encrypted by MLflow before it is stored.
    secret: Mapped[str | None] = mapped_column(String(1000))
    creation_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    deleted_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("webhook_id", name="webhook_pk"),
        Index("idx_webhooks_status", "status"),
        Index("idx_webhooks_name", "name"),
        Index("idx_webhooks_workspace", "workspace"),
    )


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    webhook_id: Mapped[str] = mapped_column(
        String(WEBHOOK_ID_LENGTH), ForeignKey("webhooks.webhook_id", ondelete="cascade")
    )
    entity: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))

    __table_args__ = (
        PrimaryKeyConstraint("webhook_id", "entity", "action", name="webhook_event_pk"),
        Index("idx_webhook_events_entity", "entity"),
        Index("idx_webhook_events_action", "action"),
        Index("idx_webhook_events_entity_action", "entity", "action"),
    )
