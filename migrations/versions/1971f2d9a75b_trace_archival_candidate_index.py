"""Index trace_info by (timestamp_ms, request_id), the order traces are archived in."""

from compat import migration as step

revision = "1971f2d9a75b"
down_revision = "6f8d9c3b2a1e"
branch_labels = None
depends_on = None

INDEX = "index_trace_info_timestamp_ms_request_id"


def upgrade() -> None:
    step.create_index_once(INDEX, "trace_info", ["timestamp_ms", "request_id"])


def downgrade() -> None:
    step.drop_index_if_present(INDEX, "trace_info")
