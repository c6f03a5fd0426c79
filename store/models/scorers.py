"""Scorers registered on experiments, their versions, and online scoring of new traces."""

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

from store.models.base import DOUBLE, UUID_LENGTH, Base


class Scorer(Base):
    __tablename__ = "scorers"

    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey(
            "experiments.experiment_id", name="fk_scorers_experiment_id", ondelete="CASCADE"
        ),
    )
    scorer_name: Mapped[str] = mapped_column(String(256))
    scorer_id: Mapped[str] = mapped_column(String(UUID_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("scorer_id", name="scorer_pk"),
        Index(
            "index_scorers_experiment_id_scorer_name", "experiment_id", "scorer_name", unique=True
        ),
    )


def _scorer_id(table: str) -> Mapped[str]:
    return mapped_column(
        String(UUID_LENGTH),
        ForeignKey("scorers.scorer_id", name=f"fk_{table}_scorer_id", ondelete="CASCADE"),
    )


class ScorerVersion(Base):
    __tablename__ = "scorer_versions"

    scorer_id: Mapped[str] = _scorer_id(__tablename__)
    scorer_version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    serialized_scorer: Mapped[str] = mapped_column(Text)
    creation_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("scorer_id", "scorer_version", name="scorer_version_pk"),
        Index("index_scorer_versions_scorer_id", "scorer_id"),
    )


class OnlineScoringConfig(Base):
    __tablename__ = "online_scoring_configs"

    online_scoring_config_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    scorer_id: Mapped[str] = _scorer_id(__tablename__)
    # The share of new traces scored, from 0 to 1.
    sample_rate: Mapped[float] = mapped_column(DOUBLE)
    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("experiments.experiment_id", name="fk_online_scoring_configs_experiment_id"),
    )
    filter_string: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("online_scoring_config_id", name="online_scoring_config_pk"),
    )
