"""Add spans: one row per span of a trace, its content as a JSON document of any size."""

import sqlalchemy as sa

from compat import migration as step

revision = "a1b2c3d4e5f6"
down_revision = "770bee3ae1dd"
branch_labels = None
depends_on = None

# Each index's columns, by name; `type` is a VARCHAR(500) so that it can be indexed everywhere.
INDEXES = {
    "index_spans_experiment_id": ("experiment_id",),
    "index_spans_experiment_id_status_type": ("experiment_id", "status", "type"),
    "index_spans_experiment_id_type_status": ("experiment_id", "type", "status"),
    "index_spans_experiment_id_duration": ("experiment_id", "duration_ns"),
}


def upgrade() -> None:
    step.create_table_once(
        "spans",
        sa.Column("trace_id", sa.String(50), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("span_id", sa.String(50), nullable=False),
        sa.Column("parent_span_id", sa.String(50), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("type", sa.String(500), nullable=True),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("start_time_unix_nano", sa.BigInteger(), nullable=False),
        sa.Column("end_time_unix_nano", sa.BigInteger(), nullable=True),
        sa.Column(
            "duration_ns",
            sa.BigInteger(),
            sa.Computed("end_time_unix_nano - start_time_unix_nano", persisted=True),
            nullable=True,
        ),
        sa.Column("content", step.longest_text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trace_id"], ["trace_info.request_id"], name="fk_spans_trace_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], name="fk_spans_experiment_id"
        ),
        sa.PrimaryKeyConstraint("trace_id", "span_id", name="spans_pk"),
    )
    for index, columns in INDEXES.items():
        step.create_index_once(index, "spans", columns)


def downgrade() -> None:
    step.drop_table_if_present("spans")
