"""Datasets and the inputs linking them (and logged models) to runs."""

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import LargeText
from store.models.base import UUID_LENGTH, Base


class Dataset(Base):
    __tablename__ = "datasets"

    dataset_uuid: Mapped[str] = mapped_column(String(UUID_LENGTH))
    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id",
            name="fk_datasets_experiment_id_experiments",
            ondelete="CASCADE",
        ),
    )
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(UUID_LENGTH))
    dataset_source_type: Mapped[str] = mapped_column(String(UUID_LENGTH))
    dataset_source: Mapped[str] = mapped_column(Text)
    dataset_schema: Mapped[str | None] = mapped_column(LargeText)
    dataset_profile: Mapped[str | None] = mapped_column(LargeText)

    __table_args__ = (
        PrimaryKeyConstraint("experiment_id", "name", "digest", name="dataset_pk"),
        Index("index_datasets_dataset_uuid", "dataset_uuid"),
        Index(
            "index_datasets_experiment_id_dataset_source_type",
            "experiment_id",
            "dataset_source_type",
        ),
    )


class Input(Base):
    """A link from a source (a dataset) to a destination (a run or a logged model)."""

    __tablename__ = "inputs"

    input_uuid: Mapped[str] = mapped_column(String(UUID_LENGTH))
    source_type: Mapped[str] = mapped_column(String(UUID_LENGTH))
    source_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    destination_type: Mapped[str] = mapped_column(String(UUID_LENGTH))
    destination_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    step: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (
        PrimaryKeyConstraint(
            "source_type", "source_id", "destination_type", "destination_id", name="inputs_pk"
        ),
        Index("index_inputs_input_uuid", "input_uuid"),
        Index(
            "index_inputs_destination_type_destination_id_source_type",
            "destination_type",
            "destination_id",
            "source_type",
        ),
    )


class InputTag(Base):
    """A tag of an input; MLflow's database has no foreign key from here to inputs."""

    __tablename__ = "input_tags"

    input_uuid: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(500))

    __table_args__ = (PrimaryKeyConstraint("input_uuid", "name", name="input_tags_pk"),)
