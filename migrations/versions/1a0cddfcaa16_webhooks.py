"""Add webhooks and webhook_events (which entity and action each webhook is called for)."""

import sqlalchemy as sa

from compat import migration as step

revision = "1a0cddfcaa16"
down_revision = "de4033877273"
branch_labels = None
depends_on = None

WEBHOOK_ID = 256
WEBHOOK_INDEXES: dict[str, tuple[str, ...]] = {
    "idx_webhooks_status": ("status",),
    "idx_webhooks_name": ("name",),
}
EVENT_INDEXES: dict[str, tuple[str, ...]] = {
    "idx_webhook_events_entity": ("entity",),
    "idx_webhook_events_action": ("action",),
    "idx_webhook_events_entity_action": ("entity", "action"),
}


def upgrade() -> None:
    step.create_table_once(
        "webhooks",
        sa.Column("webhook_id", sa.String(WEBHOOK_ID), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="ACTIVE"),
        sa.Column("secret", sa.String(1000), nullable=True),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("deleted_timestamp", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("webhook_id", name="webhook_pk"),
    )
    for index, columns in WEBHOOK_INDEXES.items():
        step.create_index_once(index, "webhooks", columns)
    step.create_table_once(
        "webhook_events",
        sa.Column("webhook_id", sa.String(WEBHOOK_ID), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        # Unnamed, and in lower case: SQLite keeps the rule as written, and MLflow's is so.
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.webhook_id"], ondelete="cascade"),
        sa.PrimaryKeyConstraint("webhook_id", "entity", "action", name="webhook_event_pk"),
    )
    for index, columns in EVENT_INDEXES.items():
        step.create_index_once(index, "webhook_events", columns)


def downgrade() -> None:
    step.drop_table_if_present("webhook_events")
    step.drop_table_if_present("webhooks")
