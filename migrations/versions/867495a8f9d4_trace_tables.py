"""Add trace_info, trace_tags and trace_request_metadata."""

import sqlalchemy as sa

from compat import migration as step

revision = "867495a8f9d4"
down_revision = "acf3f17fdcc7"
branch_labels = None
depends_on = None

REQUEST_ID = 50
# Each table keyed by (key, request_id) under trace_info, with its primary key's name.
CHILDREN = {"trace_tags": "trace_tag_pk", "trace_request_metadata": "trace_request_metadata_pk"}


def upgrade() -> None:
    step.create_table_once(
        "trace_info",
        sa.Column("request_id", sa.String(REQUEST_ID), nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", name="fk_trace_info_experiment_id"),
            nullable=False,
        ),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("execution_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="trace_info_pk"),
    )
    step.create_index_once(
        "index_trace_info_experiment_id_timestamp_ms",
        "trace_info",
        ["experiment_id", "timestamp_ms"],
    )
    for table, primary_key in CHILDREN.items():
        step.create_table_once(
            table,
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.String(8000), nullable=True),
            sa.Column(
                "request_id",
                sa.String(REQUEST_ID),
                sa.ForeignKey("trace_info.request_id", name=f"fk_{table}_request_id"),
                nullable=False,
            ),
            sa.PrimaryKeyConstraint("key", "request_id", name=primary_key),
        )
        step.create_index_once(f"index_{table}_request_id", table, ["request_id"])


def downgrade() -> None:
    for table in (*CHILDREN, "trace_info"):
        step.drop_table_if_present(table)
