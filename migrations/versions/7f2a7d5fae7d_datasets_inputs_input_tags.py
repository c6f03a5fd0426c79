"""Add datasets, inputs and input_tags."""

import sqlalchemy as sa

from compat import migration as step

revision = "7f2a7d5fae7d"
down_revision = "3500859a5d39"
branch_labels = None
depends_on = None

INDEXES = {
    "datasets": {
        "index_datasets_dataset_uuid": ["dataset_uuid"],
        "index_datasets_experiment_id_dataset_source_type": [
            "experiment_id",
            "dataset_source_type",
        ],
    },
    "inputs": {
        "index_inputs_input_uuid": ["input_uuid"],
        "index_inputs_destination_type_destination_id_source_type": [
            "destination_type",
            "destination_id",
            "source_type",
        ],
    },
}


def upgrade() -> None:
    """The datasets key to experiments stays unnamed, as MLflow left it (0584bdc529eb names it)."""
    uuid = sa.String(36)
    step.create_table_once(
        "datasets",
        sa.Column("dataset_uuid", uuid, nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", uuid, nullable=False),
        sa.Column("dataset_source_type", uuid, nullable=False),
        sa.Column("dataset_source", sa.Text(), nullable=False),
        sa.Column("dataset_schema", sa.Text(), nullable=True),
        sa.Column("dataset_profile", step.large_text(), nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", "name", "digest", name="dataset_pk"),
    )
    step.create_table_once(
        "inputs",
        sa.Column("input_uuid", uuid, nullable=False),
        sa.Column("source_type", uuid, nullable=False),
        sa.Column("source_id", uuid, nullable=False),
        sa.Column("destination_type", uuid, nullable=False),
        sa.Column("destination_id", uuid, nullable=False),
        sa.PrimaryKeyConstraint(
            "source_type", "source_id", "destination_type", "destination_id", name="inputs_pk"
        ),
    )
    step.create_table_once(
        "input_tags",
        sa.Column("input_uuid", uuid, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("input_uuid", "name", name="input_tags_pk"),
    )
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            step.create_index_once(name, table, columns)


def downgrade() -> None:
    for table in ("input_tags", "inputs", "datasets"):
        step.drop_table_if_present(table)
