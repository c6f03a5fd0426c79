"""Add trace_info.client_request_id, request_preview and response_preview (traces of API v3)."""

import sqlalchemy as sa

from compat import migration as step

revision = "cbc13b556ace"
down_revision = "bda7b8c39065"
branch_labels = None
depends_on = None

COLUMNS = (
    ("client_request_id", 50),
    ("request_preview", 1000),
    ("response_preview", 1000),
)


def upgrade() -> None:
    for name, length in COLUMNS:
        step.add_column_once("trace_info", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        step.drop_column_if_present("trace_info", name)
