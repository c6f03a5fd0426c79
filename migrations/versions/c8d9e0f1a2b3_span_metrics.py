"""Add span_metrics (named numbers about a span, deleted with it) and spans.dimension_attributes,
the JSON attributes that trace analytics group spans by."""

import sqlalchemy as sa

from compat import migration as step

revision = "c8d9e0f1a2b3"
down_revision = "d0e1f2a3b4c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.create_table_once(
        "span_metrics",
        sa.Column("trace_id", sa.String(50), nullable=False),
        sa.Column("span_id", sa.String(50), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.ForeignKeyConstraint(
            ["trace_id", "span_id"],
            ["spans.trace_id", "spans.span_id"],
            name="fk_span_metrics_span",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trace_id", "span_id", "key", name="span_metrics_pk"),
    )
    step.create_index_once(
        "index_span_metrics_trace_id_span_id", "span_metrics", ["trace_id", "span_id"]
    )
    step.add_column_once("spans", sa.Column("dimension_attributes", sa.JSON(), nullable=True))


def downgrade() -> None:
    step.drop_column_if_present("spans", "dimension_attributes")
    step.drop_table_if_present("span_metrics")
