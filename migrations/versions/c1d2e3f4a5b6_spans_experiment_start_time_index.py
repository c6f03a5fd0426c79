"""Index spans on (experiment_id, start_time_unix_nano) in place of the index on experiment_id
alone, which the new one's first column serves as well."""

from compat import migration as step

revision = "c1d2e3f4a5b6"
down_revision = "a8b9c0d1e2f3"
branch_labels = None
depends_on = None

OLD = "index_spans_experiment_id"
NEW = "index_spans_experiment_id_start_time"


def upgrade() -> None:
    step.drop_index_if_present(OLD, "spans")
    step.create_index_once(NEW, "spans", ["experiment_id", "start_time_unix_nano"])


def downgrade() -> None:
    step.drop_index_if_present(NEW, "spans")
    step.create_index_once(OLD, "spans", ["experiment_id"])
