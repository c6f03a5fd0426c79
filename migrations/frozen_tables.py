"""Tables as they stood just before a revision rebuilt them, for offline SQLite scripts.

SQLite alters a table by copying it into a new one. Online the table to copy is read from the
database; an offline script has no database to read, so the revision hands over one of these.
Each is frozen history, like the revision that uses it: never change one to follow the models.
"""

import sqlalchemy as sa

from migrations import base_schema

KEY = 250


def _table(name: str, *elements: sa.schema.SchemaItem) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *elements)


def params(value_length: int) -> sa.Table:
    return _table(
        "params",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(value_length), nullable=False),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.PrimaryKeyConstraint("key", "run_uuid", name="param_pk"),
        sa.Index("index_params_run_uuid", "run_uuid"),
    )


def tags() -> sa.Table:
    return _table(
        "tags",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(5000), nullable=True),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.PrimaryKeyConstraint("key", "run_uuid", name="tag_pk"),
        sa.Index("index_tags_run_uuid", "run_uuid"),
    )


def trace_child(name: str, primary_key: str) -> sa.Table:
    """trace_tags or trace_request_metadata, before their keys cascaded deletes."""
    return _table(
        name,
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(8000), nullable=True),
        sa.Column(
            "request_id",
            sa.String(50),
            sa.ForeignKey("trace_info.request_id", name=f"fk_{name}_request_id"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", "request_id", name=primary_key),
        sa.Index(f"index_{name}_request_id", "request_id"),
    )


def datasets(foreign_key_name: str) -> sa.Table:
    """datasets, its key to experiments named as the SQLite copy names an unnamed one."""
    return _table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(36), nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id", name=foreign_key_name),
            nullable=False,
        ),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("dataset_source_type", sa.String(36), nullable=False),
        sa.Column("dataset_source", sa.Text(), nullable=False),
        sa.Column("dataset_schema", sa.Text(), nullable=True),
        sa.Column("dataset_profile", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", "name", "digest", name="dataset_pk"),
        sa.Index("index_datasets_dataset_uuid", "dataset_uuid"),
        sa.Index(
            "index_datasets_experiment_id_dataset_source_type",
            "experiment_id",
            "dataset_source_type",
        ),
    )


def model_version_tags() -> sa.Table:
    return _table(
        "model_version_tags",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(5000), nullable=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "name", "version", name="model_version_tag_pk"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            onupdate="CASCADE",
        ),
    )


def base(table: str) -> sa.Table:
    """`table` as the base schema creates it, before any revision touched it."""
    return base_schema.metadata.tables[table].to_metadata(sa.MetaData())


def metrics(*, step: bool, is_nan: bool, primary_key: tuple[str, ...]) -> sa.Table:
    """metrics while 451aebb31d03..39d1c3be5f05 rebuild it (columns added before the copy)."""
    extra = []
    if step:
        extra.append(sa.Column("step", sa.BigInteger(), nullable=False, server_default="0"))
    if is_nan:
        extra.append(
            sa.Column(
                "is_nan", sa.Boolean(create_constraint=False), nullable=False, server_default="0"
            )
        )
    return _table(
        "metrics",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint(*primary_key, name="metric_pk"),
    )


def latest_metrics() -> sa.Table:
    """latest_metrics before 39d1c3be5f05 gave is_nan its CHECK."""
    return _table(
        "latest_metrics",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("timestamp", sa.BigInteger()),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("run_uuid", sa.String(32), sa.ForeignKey("runs.run_uuid"), nullable=False),
        sa.PrimaryKeyConstraint("key", "run_uuid", name="latest_metric_pk"),
    )


def model_versions() -> sa.Table:
    """model_versions before a8c4a736bde6 let run_id be empty."""
    return _table(
        "model_versions",
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("registered_models.name", onupdate="cascade"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creation_time", sa.BigInteger()),
        sa.Column("last_updated_time", sa.BigInteger()),
        sa.Column("description", sa.String(5000)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("current_stage", sa.String(20)),
        sa.Column("source", sa.String(500)),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(20)),
        sa.Column("status_message", sa.String(500)),
        sa.Column("run_link", sa.String(500)),
        sa.PrimaryKeyConstraint("name", "version", name="model_version_pk"),
    )


def trace_info(*, experiment_ondelete: str | None) -> sa.Table:
    """trace_info as 6f8d9c3b2a1e finds it (v3 columns, db_payload_generation), with its key to
    experiments deleting (`experiment_ondelete`) or not."""
    return _table(
        "trace_info",
        sa.Column("request_id", sa.String(50), nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey(
                "experiments.experiment_id",
                name="fk_trace_info_experiment_id",
                ondelete=experiment_ondelete,
            ),
            nullable=False,
        ),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("execution_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("client_request_id", sa.String(50), nullable=True),
        sa.Column("request_preview", sa.String(1000), nullable=True),
        sa.Column("response_preview", sa.String(1000), nullable=True),
        sa.Column("db_payload_generation", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("request_id", name="trace_info_pk"),
        sa.Index("index_trace_info_experiment_id_timestamp_ms", "experiment_id", "timestamp_ms"),
    )


def experiment_tags() -> sa.Table:
    """experiment_tags before 17e22815139b made its values TEXT."""
    return _table(
        "experiment_tags",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(5000), nullable=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", "experiment_id", name="experiment_tag_pk"),
    )
