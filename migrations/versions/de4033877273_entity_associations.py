"""Add entity_associations: links between two entities of any kinds, looked up either way."""

import sqlalchemy as sa

from compat import migration as step

revision = "de4033877273"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None

ID = 36


def upgrade() -> None:
    step.create_table_once(
        "entity_associations",
        sa.Column("association_id", sa.String(ID), nullable=False),
        sa.Column("source_type", sa.String(ID), nullable=False),
        sa.Column("source_id", sa.String(ID), nullable=False),
        sa.Column("destination_type", sa.String(ID), nullable=False),
        sa.Column("destination_id", sa.String(ID), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_type",
            "source_id",
            "destination_type",
            "destination_id",
            name="entity_associations_pk",
        ),
    )
    step.create_index_once(
        "index_entity_associations_association_id", "entity_associations", ["association_id"]
    )
    step.create_index_once(
        "index_entity_associations_reverse_lookup",
        "entity_associations",
        ["destination_type", "destination_id", "source_type", "source_id"],
    )


def downgrade() -> None:
    step.drop_table_if_present("entity_associations")
