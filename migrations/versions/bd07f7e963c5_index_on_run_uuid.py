"""Index run_uuid in params, metrics, latest_metrics and tags."""

from compat import migration as step

revision = "bd07f7e963c5"
down_revision = "c48cb773bb87"
branch_labels = None
depends_on = None

TABLES = ("params", "metrics", "latest_metrics", "tags")
# The index MySQL had made for each run_uuid foreign key before ours replaced it.
MYSQL_FOREIGN_KEY_INDEX = "run_uuid"


def upgrade() -> None:
    for table in TABLES:
        step.create_index_once(f"index_{table}_run_uuid", table, ["run_uuid"])


def downgrade() -> None:
    """MySQL will not drop the index a foreign key uses, so its own index comes back first."""
    for table in TABLES:
        if step.dialect().foreign_keys_need_index:
            step.create_index_once(MYSQL_FOREIGN_KEY_INDEX, table, ["run_uuid"])
        step.drop_index_if_present(f"index_{table}_run_uuid", table)
