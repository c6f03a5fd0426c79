"""Add evaluation_datasets with their tags and records (JSON documents, one input per record)."""

from typing import Any

import sqlalchemy as sa

from compat import migration as step

revision = "71994744cf8e"
down_revision = "534353b11cbc"
branch_labels = None
depends_on = None

DATASET_ID = 36
NAME = 255


def upgrade() -> None:
    step.create_table_once(
        "evaluation_datasets",
        sa.Column("dataset_id", sa.String(DATASET_ID), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("schema", sa.Text(), nullable=True),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        *_times_and_authors(),
        sa.PrimaryKeyConstraint("dataset_id", name="evaluation_datasets_pk"),
    )
    step.create_index_once("index_evaluation_datasets_name", "evaluation_datasets", ["name"])
    step.create_index_once(
        "index_evaluation_datasets_created_time", "evaluation_datasets", ["created_time"]
    )
    step.create_table_once(
        "evaluation_dataset_tags",
        sa.Column("dataset_id", sa.String(DATASET_ID), nullable=False),
        sa.Column("key", sa.String(NAME), nullable=False),
        sa.Column("value", sa.String(5000), nullable=True),
        sa.PrimaryKeyConstraint("dataset_id", "key", name="evaluation_dataset_tags_pk"),
        _to_dataset("evaluation_dataset_tags"),
    )
    step.create_index_once(
        "index_evaluation_dataset_tags_dataset_id", "evaluation_dataset_tags", ["dataset_id"]
    )
    step.create_table_once(
        "evaluation_dataset_records",
        sa.Column("dataset_record_id", sa.String(DATASET_ID), nullable=False),
        sa.Column("dataset_id", sa.String(DATASET_ID), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("expectations", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("source", sa.JSON(), nullable=True),
        sa.Column("source_id", sa.String(DATASET_ID), nullable=True),
        sa.Column("source_type", sa.String(NAME), nullable=True),
        *_times_and_authors(),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("dataset_record_id", name="evaluation_dataset_records_pk"),
        _to_dataset("evaluation_dataset_records"),
        sa.UniqueConstraint("dataset_id", "input_hash", name="unique_dataset_input"),
    )
    step.create_index_once(
        "index_evaluation_dataset_records_dataset_id",
        "evaluation_dataset_records",
        ["dataset_id"],
    )


def downgrade() -> None:
    for table in ("evaluation_dataset_records", "evaluation_dataset_tags", "evaluation_datasets"):
        step.drop_table_if_present(table)


def _times_and_authors() -> tuple[sa.Column[Any], ...]:
    return (
        sa.Column("created_time", sa.BigInteger(), nullable=True),
        sa.Column("last_update_time", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(NAME), nullable=True),
        sa.Column("last_updated_by", sa.String(NAME), nullable=True),
    )


def _to_dataset(table: str) -> sa.ForeignKeyConstraint:
    """A child's key to its dataset: deleting the dataset deletes the child's rows."""
    return sa.ForeignKeyConstraint(
        ["dataset_id"],
        ["evaluation_datasets.dataset_id"],
        name=f"fk_{table}_dataset_id",
        ondelete="CASCADE",
    )
