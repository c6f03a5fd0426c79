"""Add trace_info.db_payload_generation (0 for existing traces) and the workspaces' trace
archival location and retention."""

import sqlalchemy as sa

from compat import migration as step

revision = "da6fb0208061"
down_revision = "7d34483879f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.add_column_once(
        "trace_info",
        sa.Column("db_payload_generation", sa.Integer(), nullable=False, server_default="0"),
    )
    step.add_column_once("workspaces", sa.Column("trace_archival_location", sa.Text()))
    step.add_column_once("workspaces", sa.Column("trace_archival_retention", sa.String(32)))


def downgrade() -> None:
    step.drop_column_if_present("trace_info", "db_payload_generation")
    step.drop_column_if_present("workspaces", "trace_archival_retention")
    step.drop_column_if_present("workspaces", "trace_archival_location")
