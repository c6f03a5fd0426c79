"""MLflow's AI gateway (not served by trackstore): secrets, endpoints and the models behind them.

A secret's id and name are the associated data of its encryption, so the database itself
refuses to change them (a trigger, created with the table).
"""

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import immutable_columns_trigger
from store.models.base import KEY_LENGTH, USER_LENGTH, UUID_LENGTH, Base, workspace_column

NAME_LENGTH = 255
PROVIDER_LENGTH = 64


class Secret(Base):
    __tablename__ = "secrets"

    secret_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    secret_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    encrypted_value: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    kek_version: Mapped[int] = mapped_column(Integer)
    masked_value: Mapped[str] = mapped_column(String(500))
    provider: Mapped[str | None] = mapped_column(String(PROVIDER_LENGTH))
    auth_config: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("secret_id", name="secrets_pk"),
        UniqueConstraint("workspace", "secret_name", name="uq_secrets_workspace_secret_name"),
        Index("idx_secrets_workspace", "workspace"),
    )


immutable_columns_trigger(
    cast(Table, Secret.__table__),
    "prevent_secrets_aad_mutation",
    ("secret_id", "secret_name"),
    "secret_id and secret_name are immutable (used as AAD in encryption)",
)


class Endpoint(Base):
    __tablename__ = "endpoints"

    endpoint_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    routing_strategy: Mapped[str | None] = mapped_column(String(64))
    fallback_config_json: Mapped[str | None] = mapped_column(Text)
    experiment_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id", name="fk_endpoints_experiment_id", ondelete="SET NULL"
        ),
    )
    usage_tracking: Mapped[bool] = mapped_column(Boolean, server_default="0")
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("endpoint_id", name="endpoints_pk"),
        UniqueConstraint("workspace", "name", name="uq_endpoints_workspace_name"),
        Index("idx_endpoints_workspace", "workspace"),
    )


def endpoint_id_column(
    table: str, name: str = "endpoint_id", ondelete: str = "CASCADE"
) -> Mapped[str]:
    """A reference to an endpoint, by default removed with it."""
    return mapped_column(
        name,
        String(UUID_LENGTH),
        ForeignKey("endpoints.endpoint_id", name=f"fk_{table}_{name}", ondelete=ondelete),
    )


class ModelDefinition(Base):
    __tablename__ = "model_definitions"

    model_definition_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    secret_id: Mapped[str | None] = mapped_column(
        String(UUID_LENGTH),
        ForeignKey("secrets.secret_id", name="fk_model_definitions_secret_id", ondelete="SET NULL"),
    )
    provider: Mapped[str] = mapped_column(String(PROVIDER_LENGTH))
    model_name: Mapped[str] = mapped_column(String(256))
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("model_definition_id", name="model_definitions_pk"),
        UniqueConstraint("workspace", "name", name="uq_model_definitions_workspace_name"),
        Index("index_model_definitions_secret_id", "secret_id"),
        Index("index_model_definitions_provider", "provider"),
        Index("idx_model_definitions_workspace", "workspace"),
    )


class EndpointModelMapping(Base):
    __tablename__ = "endpoint_model_mappings"

    mapping_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    endpoint_id: Mapped[str] = endpoint_id_column(__tablename__)
    model_definition_id: Mapped[str] = mapped_column(
        String(UUID_LENGTH),
        ForeignKey(
            "model_definitions.model_definition_id",
            name="fk_endpoint_model_mappings_model_definition_id",
        ),
    )
    # Single precision where the database has it (MySQL's FLOAT), as MLflow declares it.
    weight: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    linkage_type: Mapped[str] = mapped_column(String(64), server_default="PRIMARY")
    fallback_order: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("mapping_id", name="endpoint_model_mappings_pk"),
        Index("index_endpoint_model_mappings_endpoint_id", "endpoint_id"),
        Index("index_endpoint_model_mappings_model_definition_id", "model_definition_id"),
        Index(
            "unique_endpoint_model_linkage_mapping",
            "endpoint_id",
            "model_definition_id",
            "linkage_type",
            unique=True,
        ),
    )


class EndpointBinding(Base):
    """Something (a scorer, an experiment...) that calls an endpoint."""

    __tablename__ = "endpoint_bindings"

    endpoint_id: Mapped[str] = endpoint_id_column(__tablename__)
    resource_type: Mapped[str] = mapped_column(String(50))
    resource_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint(
            "endpoint_id", "resource_type", "resource_id", name="endpoint_bindings_pk"
        ),
    )


class EndpointTag(Base):
    __tablename__ = "endpoint_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(5000))
    endpoint_id: Mapped[str] = endpoint_id_column(__tablename__)

    __table_args__ = (
        PrimaryKeyConstraint("key", "endpoint_id", name="endpoint_tag_pk"),
        Index("index_endpoint_tags_endpoint_id", "endpoint_id"),
    )
