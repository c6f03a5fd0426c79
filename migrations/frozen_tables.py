"""Tables as they stood just before a revision rebuilt them, for offline SQLite scripts.

SQLite alters a table by copying it into a new one. Online the table to copy is read from the
database; an offline script has no database to read, so the revision hands over one of these.
Each is frozen history, like the revision that uses it: never change one to follow the models.
"""

from collections.abc import Callable
from typing import Any

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


def _authorship() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_by", sa.String(255)),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_by", sa.String(255)),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
    ]


def endpoints(experiment: bool = False) -> sa.Table:
    """endpoints after c9d4e5f6a7b8, or with `experiment` after d0e1f2a3b4c5."""
    linked = [
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey(
                "experiments.experiment_id", name="fk_endpoints_experiment_id", ondelete="SET NULL"
            ),
        ),
        sa.Column("usage_tracking", sa.Boolean(), nullable=False, server_default="0"),
    ]
    return _table(
        "endpoints",
        sa.Column("endpoint_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255)),
        *_authorship(),
        sa.Column("routing_strategy", sa.String(64)),
        sa.Column("fallback_config_json", sa.Text()),
        *(linked if experiment else []),
        sa.PrimaryKeyConstraint("endpoint_id", name="endpoints_pk"),
        sa.Index("unique_endpoint_name", "name", unique=True),
    )


def secrets() -> sa.Table:
    """secrets as 1bd49d398cd23 made them."""
    return _table(
        "secrets",
        sa.Column("secret_id", sa.String(36), nullable=False),
        sa.Column("secret_name", sa.String(255), nullable=False),
        sa.Column("encrypted_value", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=False),
        sa.Column("kek_version", sa.Integer(), nullable=False),
        sa.Column("masked_value", sa.String(500), nullable=False),
        sa.Column("provider", sa.String(64)),
        sa.Column("auth_config", sa.Text()),
        sa.Column("description", sa.Text()),
        *_authorship(),
        sa.PrimaryKeyConstraint("secret_id", name="secrets_pk"),
        sa.Index("unique_secret_name", "secret_name", unique=True),
    )


def model_definitions() -> sa.Table:
    """model_definitions as 1bd49d398cd23 made them."""
    return _table(
        "model_definitions",
        sa.Column("model_definition_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column(
            "secret_id",
            sa.String(36),
            sa.ForeignKey(
                "secrets.secret_id", name="fk_model_definitions_secret_id", ondelete="SET NULL"
            ),
        ),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(256), nullable=False),
        *_authorship(),
        sa.PrimaryKeyConstraint("model_definition_id", name="model_definitions_pk"),
        sa.Index("unique_model_definition_name", "name", unique=True),
        sa.Index("index_model_definitions_secret_id", "secret_id"),
        sa.Index("index_model_definitions_provider", "provider"),
    )


def before_workspaces(table: str, conventional_names: bool) -> sa.Table:
    """A table that 1b5f0d9ad7c1 rekeys, as it stands before. With `conventional_names`, the
    keys the database left unnamed are named as the SQLite copy names them (to drop them)."""
    return _BEFORE_WORKSPACES[table](conventional_names)


def _named(constraint: sa.Constraint, name: str, conventional_names: bool) -> None:
    if conventional_names:
        constraint.name = sa.sql.elements.conv(name)


def _only(table: sa.Table, kind: type[sa.Constraint]) -> sa.Constraint:
    (constraint,) = (c for c in table.constraints if isinstance(c, kind))
    return constraint


def _experiments(conventional_names: bool) -> sa.Table:
    table = base("experiments")
    table.append_column(sa.Column("creation_time", sa.BigInteger()))
    table.append_column(sa.Column("last_update_time", sa.BigInteger()))
    _named(_only(table, sa.UniqueConstraint), "uq_experiments_name", conventional_names)
    return table


def _registered_models(conventional_names: bool) -> sa.Table:
    table = _table(
        "registered_models",
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger()),
        sa.Column("last_updated_time", sa.BigInteger()),
        sa.Column("description", sa.String(5000)),
        sa.PrimaryKeyConstraint("name", name="registered_model_pk"),
        sa.UniqueConstraint("name"),
    )
    _named(_only(table, sa.UniqueConstraint), "uq_registered_models_name", conventional_names)
    return table


def _model_versions(conventional_names: bool) -> sa.Table:
    table = model_versions()
    table.c.run_id.nullable = True
    table.append_column(sa.Column("storage_location", sa.String(500)))
    key = _only(table, sa.ForeignKeyConstraint)
    _named(key, "fk_model_versions_name_registered_models", conventional_names)
    return table


def _registered_model_tags(conventional_names: bool) -> sa.Table:
    table = _table(
        "registered_model_tags",
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.String(5000)),
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("registered_models.name", onupdate="cascade"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", "name", name="registered_model_tag_pk"),
    )
    key = _only(table, sa.ForeignKeyConstraint)
    _named(key, "fk_registered_model_tags_name_registered_models", conventional_names)
    return table


def _model_version_tags(conventional_names: bool) -> sa.Table:
    table = model_version_tags()
    table.c.value.type = sa.Text()
    key = _only(table, sa.ForeignKeyConstraint)
    _named(key, "fk_model_version_tags_name_model_versions", conventional_names)
    return table


def _registered_model_aliases(conventional_names: bool) -> sa.Table:
    return _table(
        "registered_model_aliases",
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey(
                "registered_models.name",
                name="registered_model_alias_name_fkey",
                onupdate="cascade",
                ondelete="cascade",
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", "alias", name="registered_model_alias_pk"),
    )


_BEFORE_WORKSPACES: dict[str, Callable[[bool], sa.Table]] = {
    "experiments": _experiments,
    "secrets": lambda _: secrets(),
    "endpoints": lambda _: endpoints(experiment=True),
    "model_definitions": lambda _: model_definitions(),
    "registered_models": _registered_models,
    "model_versions": _model_versions,
    "registered_model_tags": _registered_model_tags,
    "model_version_tags": _model_version_tags,
    "registered_model_aliases": _registered_model_aliases,
}


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
