"""Add scorers (one name per experiment) and scorer_versions (each a serialized scorer)."""

import sqlalchemy as sa

from compat import migration as step

revision = "534353b11cbc"
down_revision = "1a0cddfcaa16"
branch_labels = None
depends_on = None

SCORER_ID = 36


def upgrade() -> None:
    step.create_table_once(
        "scorers",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("scorer_name", sa.String(256), nullable=False),
        sa.Column("scorer_id", sa.String(SCORER_ID), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_scorers_experiment_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scorer_id", name="scorer_pk"),
    )
    step.create_table_once(
        "scorer_versions",
        sa.Column("scorer_id", sa.String(SCORER_ID), nullable=False),
        sa.Column("scorer_version", sa.Integer(), nullable=False),
        sa.Column("serialized_scorer", sa.Text(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scorer_id"],
            ["scorers.scorer_id"],
            name="fk_scorer_versions_scorer_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scorer_id", "scorer_version", name="scorer_version_pk"),
    )
    step.create_index_once(
        "index_scorers_experiment_id_scorer_name",
        "scorers",
        ["experiment_id", "scorer_name"],
        unique=True,
    )
    step.create_index_once("index_scorer_versions_scorer_id", "scorer_versions", ["scorer_id"])


def downgrade() -> None:
    step.drop_table_if_present("scorer_versions")
    step.drop_table_if_present("scorers")
