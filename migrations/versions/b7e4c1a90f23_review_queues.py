"""Add review queues: lists of traces or sessions for people to label, with who may work on
each queue, its items, and the label schemas it asks for."""

import sqlalchemy as sa

from compat import migration as step

revision = "b7e4c1a90f23"
down_revision = "89d3d66ed43f"
branch_labels = None
depends_on = None

QUEUE_ID = 36
USER = 250
# Child tables, dropped before review_queues.
CHILDREN = ("review_queue_label_schemas", "review_queue_items", "review_queue_users")


def upgrade() -> None:
    step.create_table_once(
        "review_queues",
        sa.Column("queue_id", sa.String(QUEUE_ID), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("queue_type", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("creation_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger(), nullable=False),
        # The name folded to lower case: names are unique per experiment regardless of case.
        sa.Column("name_key", sa.String(250), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_review_queues_experiment_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("queue_id", name="review_queues_pk"),
        sa.UniqueConstraint(
            "experiment_id", "name_key", name="uq_review_queues_experiment_name_key"
        ),
    )
    step.create_index_once("index_review_queues_experiment_id", "review_queues", ["experiment_id"])
    step.create_table_once(
        "review_queue_users",
        _queue_id("review_queue_users"),
        sa.Column("user_id", sa.String(USER), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", "user_id", name="review_queue_users_pk"),
    )
    step.create_index_once("index_review_queue_users_user_id", "review_queue_users", ["user_id"])
    step.create_table_once(
        "review_queue_items",
        _queue_id("review_queue_items"),
        sa.Column("item_type", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("completed_by", sa.String(USER), nullable=True),
        sa.Column("completed_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("creation_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", "item_id", name="review_queue_items_pk"),
    )
    step.create_index_once(
        "index_review_queue_items_queue_id_status", "review_queue_items", ["queue_id", "status"]
    )
    step.create_index_once("index_review_queue_items_item_id", "review_queue_items", ["item_id"])
    # schema_id has no foreign key to label_schemas: deleting an experiment would then reach
    # these rows by two cascading paths, which SQL Server refuses.
    step.create_table_once(
        "review_queue_label_schemas",
        _queue_id("review_queue_label_schemas"),
        sa.Column("schema_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", "schema_id", name="review_queue_label_schemas_pk"),
    )
    step.create_index_once(
        "index_review_queue_label_schemas_schema_id", "review_queue_label_schemas", ["schema_id"]
    )


def downgrade() -> None:
    for table in (*CHILDREN, "review_queues"):
        step.drop_table_if_present(table)


def _queue_id(table: str) -> sa.Column[str]:
    """A child's queue_id, whose rows go when their queue does."""
    return sa.Column(
        "queue_id",
        sa.String(QUEUE_ID),
        sa.ForeignKey("review_queues.queue_id", name=f"fk_{table}_queue_id", ondelete="CASCADE"),
        nullable=False,
    )
