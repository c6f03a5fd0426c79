"""Add assessments: feedback and expectations attached to a trace (or one of its spans)."""

import sqlalchemy as sa

from compat import migration as step

revision = "770bee3ae1dd"
down_revision = "cbc13b556ace"
branch_labels = None
depends_on = None

# Each index's columns, by name.
INDEXES = {
    "index_assessments_trace_id_created_timestamp": ("trace_id", "created_timestamp"),
    "index_assessments_run_id_created_timestamp": ("run_id", "created_timestamp"),
    "index_assessments_last_updated_timestamp": ("last_updated_timestamp",),
    "index_assessments_assessment_type": ("assessment_type",),
}


def upgrade() -> None:
    step.create_table_once(
        "assessments",
        sa.Column("assessment_id", sa.String(50), nullable=False),
        sa.Column("trace_id", sa.String(50), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("assessment_type", sa.String(20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("source_type", sa.String(50), nullable=False),
        sa.Column("source_id", sa.String(250), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("span_id", sa.String(50), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("overrides", sa.String(50), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("assessment_metadata", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trace_id"],
            ["trace_info.request_id"],
            name="fk_assessments_trace_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", name="assessments_pk"),
    )
    for index, columns in INDEXES.items():
        step.create_index_once(index, "assessments", columns)


def downgrade() -> None:
    step.drop_table_if_present("assessments")
