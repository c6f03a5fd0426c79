"""The model registry: registered models, their versions, tags and aliases.

A registered model is named within its workspace, so every registry key starts with the
workspace and every foreign key carries it along.
"""

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import where_flag
from store.models.base import (
    KEY_LENGTH,
    MODEL_NAME_LENGTH,
    RUN_ID_LENGTH,
    Base,
    workspace_column,
)

REGISTERED_MODEL_KEY = ("registered_models.workspace", "registered_models.name")


def leftover_key_index(*columns: str) -> Index:
    """Where the engine indexed the foreign keys of 3.1.4's registry itself, MLflow's chain
    dropped those keys for the workspace ones but left their index, named `name`."""
    return Index("name", *columns).ddl_if(callable_=where_flag("foreign_keys_need_index"))


class RegisteredModel(Base):
    __tablename__ = "registered_models"

    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    creation_time: Mapped[int | None] = mapped_column(BigInteger)
    last_updated_time: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(5000))
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", name="registered_model_pk"),
        Index("idx_registered_models_workspace", "workspace"),
    )


class RegisteredModelTag(Base):
    __tablename__ = "registered_model_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(5000))
    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "key", "name", name="registered_model_tag_pk"),
        ForeignKeyConstraint(
            ["workspace", "name"],
            REGISTERED_MODEL_KEY,
            name="fk_registered_model_tags_registered_models",
            onupdate="CASCADE",
        ),
        Index("idx_registered_model_tags_workspace_name", "workspace", "name"),
        leftover_key_index("name"),
    )


class RegisteredModelAlias(Base):
    __tablename__ = "registered_model_aliases"

    alias: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", "alias", name="registered_model_alias_pk"),
        ForeignKeyConstraint(
            ["workspace", "name"],
            REGISTERED_MODEL_KEY,
            name="fk_registered_model_aliases_registered_models",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )


class ModelVersion(Base):
    __tablename__ = "model_versions"

    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    creation_time: Mapped[int | None] = mapped_column(BigInteger)
    last_updated_time: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(5000))
    user_id: Mapped[str | None] = mapped_column(String(256))
    current_stage: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(500))
    run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    status: Mapped[str | None] = mapped_column(String(20))
    status_message: Mapped[str | None] = mapped_column(String(500))
    run_link: Mapped[str | None] = mapped_column(String(500))
    storage_location: Mapped[str | None] = mapped_column(String(500))
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", "version", name="model_version_pk"),
        ForeignKeyConstraint(
            ["workspace", "name"],
            REGISTERED_MODEL_KEY,
            name="fk_model_versions_registered_models",
            onupdate="CASCADE",
        ),
    )


class ModelVersionTag(Base):
    __tablename__ = "model_version_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "key", "name", "version", name="model_version_tag_pk"),
        ForeignKeyConstraint(
            ["workspace", "name", "version"],
            ["model_versions.workspace", "model_versions.name", "model_versions.version"],
            name="fk_model_version_tags_model_versions",
            onupdate="CASCADE",
        ),
        Index("idx_model_version_tags_workspace_name_version", "workspace", "name", "version"),
        leftover_key_index("name", "version"),
    )
