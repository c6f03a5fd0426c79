"""Index metrics on (run_uuid, key, step): a metric's history is read by run and key in step
order, which the primary key (key first) cannot serve."""

from compat import migration as step

revision = "a5b4c3d2e1f0"
down_revision = "c3d6457b6d8a"
branch_labels = None
depends_on = None

INDEX = "index_metrics_run_uuid_key_step"


def upgrade() -> None:
    step.create_index_once(INDEX, "metrics", ["run_uuid", "key", "step"])


def downgrade() -> None:
    step.drop_index_if_present(INDEX, "metrics")
