"""Add logged_models with their metrics, params and tags."""

import sqlalchemy as sa

from compat import migration as step

revision = "400f98739977"
down_revision = "0584bdc529eb"
branch_labels = None
depends_on = None

MODEL_ID = 36
KEY = 255
CHILDREN = ("logged_model_metrics", "logged_model_params", "logged_model_tags")


def upgrade() -> None:
    step.create_table_once(
        "logged_models",
        sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=True),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.Column("status_message", sa.String(1000), nullable=True),
        sa.CheckConstraint(
            "lifecycle_stage IN ('active', 'deleted')", name="logged_models_lifecycle_stage_check"
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_logged_models_experiment_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name="logged_models_pk"),
    )
    step.create_table_once(
        "logged_model_metrics",
        sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
        sa.Column("metric_name", sa.String(500), nullable=False),
        sa.Column("metric_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("metric_step", sa.BigInteger(), nullable=False),
        sa.Column("metric_value", sa.Float(precision=53), nullable=True),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("dataset_uuid", sa.String(36), nullable=True),
        sa.Column("dataset_name", sa.String(500), nullable=True),
        sa.Column("dataset_digest", sa.String(36), nullable=True),
        *_model_keys("logged_model_metrics"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_uuid"], name="fk_logged_model_metrics_run_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "model_id",
            "metric_name",
            "metric_timestamp_ms",
            "metric_step",
            "run_id",
            name="logged_model_metrics_pk",
        ),
    )
    step.create_index_once(
        "index_logged_model_metrics_model_id", "logged_model_metrics", ["model_id"]
    )
    for table, key, value in (
        ("logged_model_params", "param_key", "param_value"),
        ("logged_model_tags", "tag_key", "tag_value"),
    ):
        step.create_table_once(
            table,
            sa.Column("model_id", sa.String(MODEL_ID), nullable=False),
            sa.Column("experiment_id", sa.Integer(), nullable=False),
            sa.Column(key, sa.String(KEY), nullable=False),
            sa.Column(value, sa.Text(), nullable=False),
            *_model_keys(table),
            sa.PrimaryKeyConstraint("model_id", key, name=f"{table}_pk"),
        )


def downgrade() -> None:
    for table in (*CHILDREN, "logged_models"):
        step.drop_table_if_present(table)


def _model_keys(table: str) -> tuple[sa.ForeignKeyConstraint, sa.ForeignKeyConstraint]:
    """A child's keys: to its experiment, and to its model (deleted with the model)."""
    return (
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"], name=f"fk_{table}_experiment_id"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name=f"fk_{table}_model_id",
            ondelete="CASCADE",
        ),
    )
