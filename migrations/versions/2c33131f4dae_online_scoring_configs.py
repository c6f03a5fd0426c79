"""Add online_scoring_configs: how often a scorer judges new traces of an experiment."""

import sqlalchemy as sa

from compat import migration as step

revision = "2c33131f4dae"
down_revision = "c9d4e5f6a7b8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.create_table_once(
        "online_scoring_configs",
        sa.Column("online_scoring_config_id", sa.String(36), nullable=False),
        sa.Column("scorer_id", sa.String(36), nullable=False),
        sa.Column("sample_rate", sa.Float(precision=53), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("filter_string", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scorer_id"],
            ["scorers.scorer_id"],
            name="fk_online_scoring_configs_scorer_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_online_scoring_configs_experiment_id",
        ),
        sa.PrimaryKeyConstraint("online_scoring_config_id", name="online_scoring_config_pk"),
    )


def downgrade() -> None:
    step.drop_table_if_present("online_scoring_configs")
