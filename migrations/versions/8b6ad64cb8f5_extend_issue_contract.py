"""Issues gain last_seen_timestamp, last_updated_by and metadata, and issue_categories indexes
their categories: one row per distinct category of each issue (by its trimmed, lower-cased
SHA-256), kept beside the issues' own categories JSON, which older readers still use."""

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from compat import TrackstoreError
from compat import migration as step

revision = "8b6ad64cb8f5"
down_revision = "e7d1f4b2a9c6"
branch_labels = None
depends_on = None

BATCH = 500
ISSUE_INDEXES = {
    "index_issues_experiment_last_seen": ("experiment_id", "last_seen_timestamp"),
    "index_issues_experiment_updated": ("experiment_id", "last_updated_timestamp"),
}
CATEGORY_INDEX = "index_issue_categories_hash"

issues = sa.table(
    "issues",
    sa.column("issue_id"),
    sa.column("categories"),
    sa.column("created_timestamp"),
    sa.column("last_seen_timestamp"),
)
issue_categories = sa.table(
    "issue_categories", sa.column("issue_id"), sa.column("category_hash"), sa.column("category")
)


def new_issue_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("last_seen_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("last_updated_by", sa.String(255), nullable=True),
        sa.Column("metadata", step.longest_text(), nullable=True),
    ]


def upgrade() -> None:
    for column in new_issue_columns():
        step.add_column_once("issues", column)
    for index, columns in ISSUE_INDEXES.items():
        step.create_index_once(index, "issues", columns)
    step.create_table_once(
        "issue_categories",
        sa.Column("issue_id", sa.String(36), nullable=False),
        sa.Column("category_hash", sa.String(64), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "category_hash", name="issue_categories_pk"),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.issue_id"],
            name="fk_issue_categories_issue_id",
            ondelete="CASCADE",
        ),
    )
    step.create_index_once(CATEGORY_INDEX, "issue_categories", ["category_hash"])
    op.execute(issues.update().values(last_seen_timestamp=issues.c.created_timestamp))
    if not step.offline():
        _fill_categories()


def _fill_categories() -> None:
    """Insert each issue's categories, in batches, skipping issues a failed run already did
    (the inserts of one run commit together, after every schema change)."""
    bind = op.get_bind()
    done = sa.exists().where(issue_categories.c.issue_id == issues.c.issue_id)
    rows = bind.execute(
        sa.select(issues.c.issue_id, issues.c.categories).where(
            issues.c.categories.is_not(None), ~done
        )
    ).tuples()
    while batch := rows.fetchmany(BATCH):
        entries = [entry for issue_id, text in batch for entry in _categories(issue_id, text)]
        if entries:
            bind.execute(issue_categories.insert(), entries)


def _categories(issue_id: str, text: str) -> Iterator[dict[str, str]]:
    """One row per distinct category; of two that differ only by case or surrounding blanks,
    the later one's spelling is kept."""
    try:
        categories = json.loads(text)
        by_hash = {_category_hash(category): category for category in categories}
    except (ValueError, TypeError, AttributeError):
        raise TrackstoreError(
            f"issues.categories of issue '{issue_id}' is not a JSON list of strings, so the "
            "upgrade stopped; correct or clear that value and upgrade again."
        ) from None
    for category_hash, category in by_hash.items():
        yield {"issue_id": issue_id, "category_hash": category_hash, "category": category}


def _category_hash(category: str) -> str:
    return hashlib.sha256(category.strip().lower().encode()).hexdigest()


def downgrade() -> None:
    """issue_categories goes with its index; the issues' categories JSON was never changed."""
    step.drop_table_if_present("issue_categories")
    for index in reversed(ISSUE_INDEXES):
        step.drop_index_if_present(index, "issues")
    for column in reversed(new_issue_columns()):
        step.drop_column_if_present("issues", column.name, has_default=False)
