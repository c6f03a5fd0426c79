"""Index model_version_tags on (workspace, name, version) and registered_model_tags on
(workspace, name).

Since 1b5f0d9ad7c1 their primary keys put `key` between `workspace` and the model's name, so
loading the tags of one model or version can use only the first column of the key.
"""

from alembic import op

from compat import migration as step

revision = "7d34483879f0"
down_revision = "ae8bbe7743c9"
branch_labels = None
depends_on = None

# Each index: its name, table, columns, and the foreign key over the same columns.
INDEXES = (
    (
        "idx_model_version_tags_workspace_name_version",
        "model_version_tags",
        ("workspace", "name", "version"),
        "fk_model_version_tags_model_versions",
    ),
    (
        "idx_registered_model_tags_workspace_name",
        "registered_model_tags",
        ("workspace", "name"),
        "fk_registered_model_tags_registered_models",
    ),
)


def upgrade() -> None:
    """MySQL drops the index it made for each foreign key once ours can serve the key, but not
    one a downgrade of this revision put back: that one goes here (MySQL only ever has it)."""
    for index, table, columns, foreign_key in INDEXES:
        step.create_index_once(index, table, columns)
        if step.has_index(table, foreign_key):
            op.drop_index(foreign_key, table_name=table)


def downgrade() -> None:
    """MySQL dropped the index it had made for each foreign key (named after the key) when ours
    took over, and will not drop ours while the key needs it: its own index comes back first."""
    for index, table, columns, foreign_key in reversed(INDEXES):
        if step.dialect().foreign_keys_need_index:
            step.create_index_once(foreign_key, table, columns)
        step.drop_index_if_present(index, table)
