"""Deleting a trace deletes its tags and request metadata (foreign keys cascade)."""

from compat import migration as step
from migrations import frozen_tables

revision = "5b0e9adcef9c"
down_revision = "867495a8f9d4"
branch_labels = None
depends_on = None

CHILDREN = {"trace_tags": "trace_tag_pk", "trace_request_metadata": "trace_request_metadata_pk"}


def upgrade() -> None:
    _set_ondelete("CASCADE")


def downgrade() -> None:
    _set_ondelete(None)


def _set_ondelete(ondelete: str | None) -> None:
    for table, primary_key in CHILDREN.items():
        name = f"fk_{table}_request_id"
        step.replace_foreign_key(
            table,
            "trace_info",
            ["request_id"],
            ["request_id"],
            old_name=name,
            new_name=name,
            ondelete=ondelete,
            copy_from=frozen_tables.trace_child(table, primary_key),
        )
