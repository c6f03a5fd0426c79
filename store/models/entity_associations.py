"""Links between entities of different kinds (a trace and a run, a dataset and a model...)."""

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import UUID_LENGTH, Base


class EntityAssociation(Base):
    __tablename__ = "entity_associations"

    association_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    source_type: Mapped[str] = mapped_column(String(UUID_LENGTH))
    source_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    destination_type: Mapped[str] = mapped_column(String(UUID_LENGTH))
    destination_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    created_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint(
            "source_type",
            "source_id",
            "destination_type",
            "destination_id",
            name="entity_associations_pk",
        ),
        Index("index_entity_associations_association_id", "association_id"),
        Index(
            "index_entity_associations_reverse_lookup",
            "destination_type",
            "destination_id",
            "source_type",
            "source_id",
        ),
    )
