"""The model registry: registered models, their versions, tags and aliases."""

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import KEY_LENGTH, MODEL_NAME_LENGTH, RUN_ID_LENGTH, Base


class RegisteredModel(Base):
    __tablename__ = "registered_models"

    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    creation_time: Mapped[int | None] = mapped_column(BigInteger)
    last_updated_time: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(5000))

    __table_args__ = (
        PrimaryKeyConstraint("name", name="registered_model_pk"),
        # Beside the primary key, as MLflow declares it; PostgreSQL folds it into the key.
        UniqueConstraint("name"),
    )


class RegisteredModelTag(Base):
    __tablename__ = "registered_model_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(5000))
    name: Mapped[str] = mapped_column(
        String(MODEL_NAME_LENGTH), ForeignKey("registered_models.name", onupdate="cascade")
    )

    __table_args__ = (PrimaryKeyConstraint("key", "name", name="registered_model_tag_pk"),)


class RegisteredModelAlias(Base):
    __tablename__ = "registered_model_aliases"

    alias: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(
        String(MODEL_NAME_LENGTH),
        ForeignKey(
            "registered_models.name",
            name="registered_model_alias_name_fkey",
            ondelete="cascade",
            onupdate="cascade",
        ),
    )

    __table_args__ = (PrimaryKeyConstraint("name", "alias", name="registered_model_alias_pk"),)


class ModelVersion(Base):
    __tablename__ = "model_versions"

    name: Mapped[str] = mapped_column(
        String(MODEL_NAME_LENGTH), ForeignKey("registered_models.name", onupdate="CASCADE")
    )
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

    __table_args__ = (PrimaryKeyConstraint("name", "version", name="model_version_pk"),)


class ModelVersionTag(Base):
    __tablename__ = "model_version_tags"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)

    __table_args__ = (
        PrimaryKeyConstraint("key", "name", "version", name="model_version_tag_pk"),
        ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            onupdate="CASCADE",
        ),
    )
