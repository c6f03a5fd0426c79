"""Add secrets, gateway endpoints and model definitions, and a trigger that freezes secret names.

A secret's id and name are bound into the encryption of its value: changing either would make
the value impossible to decrypt, so the database itself refuses the change (on PostgreSQL
through a function of the trigger's name).
"""

from typing import Any

import sqlalchemy as sa

from compat import migration as step

revision = "1bd49d398cd23"
down_revision = "bf29a5ff90ea"
branch_labels = None
depends_on = None

ID = 36
NAME = 255
TRIGGER = "prevent_secrets_aad_mutation"
IMMUTABLE = ("secret_id", "secret_name")
REFUSAL = "secret_id and secret_name are immutable (used as AAD in encryption)"
# Dropped children first.
TABLES = (
    "endpoint_tags",
    "endpoint_bindings",
    "endpoint_model_mappings",
    "model_definitions",
    "endpoints",
    "secrets",
)


def upgrade() -> None:
    _secrets()
    _endpoints()
    _model_definitions()
    _endpoint_model_mappings()
    _endpoint_bindings()
    _endpoint_tags()
    step.forbid_changes_once(TRIGGER, "secrets", IMMUTABLE, REFUSAL)


def downgrade() -> None:
    step.drop_trigger_if_present(TRIGGER, "secrets")
    for table in TABLES:
        step.drop_table_if_present(table)


def _secrets() -> None:
    step.create_table_once(
        "secrets",
        sa.Column("secret_id", sa.String(ID), nullable=False),
        sa.Column("secret_name", sa.String(NAME), nullable=False),
        sa.Column("encrypted_value", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=False),
        sa.Column("kek_version", sa.Integer(), nullable=False),
        sa.Column("masked_value", sa.String(500), nullable=False),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("auth_config", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *_authorship(),
        sa.PrimaryKeyConstraint("secret_id", name="secrets_pk"),
    )
    step.create_index_once("unique_secret_name", "secrets", ["secret_name"], unique=True)


def _endpoints() -> None:
    step.create_table_once(
        "endpoints",
        sa.Column("endpoint_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=True),
        *_authorship(),
        sa.PrimaryKeyConstraint("endpoint_id", name="endpoints_pk"),
    )
    step.create_index_once("unique_endpoint_name", "endpoints", ["name"], unique=True)


def _model_definitions() -> None:
    step.create_table_once(
        "model_definitions",
        sa.Column("model_definition_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("secret_id", sa.String(ID), nullable=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(256), nullable=False),
        *_authorship(),
        sa.ForeignKeyConstraint(
            ["secret_id"],
            ["secrets.secret_id"],
            name="fk_model_definitions_secret_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("model_definition_id", name="model_definitions_pk"),
    )
    step.create_index_once(
        "unique_model_definition_name", "model_definitions", ["name"], unique=True
    )
    step.create_index_once("index_model_definitions_secret_id", "model_definitions", ["secret_id"])
    step.create_index_once("index_model_definitions_provider", "model_definitions", ["provider"])


def _endpoint_model_mappings() -> None:
    step.create_table_once(
        "endpoint_model_mappings",
        sa.Column("mapping_id", sa.String(ID), nullable=False),
        sa.Column("endpoint_id", sa.String(ID), nullable=False),
        sa.Column("model_definition_id", sa.String(ID), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(NAME), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _to_endpoint("endpoint_model_mappings"),
        sa.ForeignKeyConstraint(
            ["model_definition_id"],
            ["model_definitions.model_definition_id"],
            name="fk_endpoint_model_mappings_model_definition_id",
        ),
        sa.PrimaryKeyConstraint("mapping_id", name="endpoint_model_mappings_pk"),
    )
    for index, columns, unique in (
        ("index_endpoint_model_mappings_endpoint_id", ["endpoint_id"], False),
        ("index_endpoint_model_mappings_model_definition_id", ["model_definition_id"], False),
        ("unique_endpoint_model_mapping", ["endpoint_id", "model_definition_id"], True),
    ):
        step.create_index_once(index, "endpoint_model_mappings", columns, unique=unique)


def _endpoint_bindings() -> None:
    step.create_table_once(
        "endpoint_bindings",
        sa.Column("endpoint_id", sa.String(ID), nullable=False),
        sa.Column("resource_type", sa.String(50), nullable=False),
        sa.Column("resource_id", sa.String(NAME), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(NAME), nullable=True),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_by", sa.String(NAME), nullable=True),
        _to_endpoint("endpoint_bindings"),
        sa.PrimaryKeyConstraint(
            "endpoint_id", "resource_type", "resource_id", name="endpoint_bindings_pk"
        ),
    )


def _endpoint_tags() -> None:
    step.create_table_once(
        "endpoint_tags",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.String(5000), nullable=True),
        sa.Column("endpoint_id", sa.String(ID), nullable=False),
        _to_endpoint("endpoint_tags"),
        sa.PrimaryKeyConstraint("key", "endpoint_id", name="endpoint_tag_pk"),
    )
    step.create_index_once("index_endpoint_tags_endpoint_id", "endpoint_tags", ["endpoint_id"])


def _authorship() -> tuple[sa.Column[Any], ...]:
    """Who created and last updated a row, and when (milliseconds since the epoch)."""
    return (
        sa.Column("created_by", sa.String(NAME), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_by", sa.String(NAME), nullable=True),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
    )


def _to_endpoint(table: str) -> sa.ForeignKeyConstraint:
    """A child's key to its endpoint: deleting the endpoint deletes the child's rows."""
    return sa.ForeignKeyConstraint(
        ["endpoint_id"],
        ["endpoints.endpoint_id"],
        name=f"fk_{table}_endpoint_id",
        ondelete="CASCADE",
    )
