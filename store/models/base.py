"""What every head model shares: the declarative base, its MetaData, and recurring shapes."""

from collections.abc import Sequence

from sqlalchemy import CheckConstraint, MetaData, column
from sqlalchemy.orm import DeclarativeBase

# Lengths MLflow gives the same kind of column in many tables.
KEY_LENGTH = 250
RUN_ID_LENGTH = 32
EXPERIMENT_NAME_LENGTH = 256
MODEL_NAME_LENGTH = 256
UUID_LENGTH = 36
LIFECYCLE_STAGES = ("active", "deleted")


class Base(DeclarativeBase):
    """Base of the head models; no naming convention, so unnamed constraints stay unnamed and
    each database names them as it named MLflow's."""

    metadata = MetaData()


def one_of(
    column_name: str, values: Sequence[str | int], name: str | None = None
) -> CheckConstraint:
    """CHECK (column IN (values...)), as MLflow spells its enumerations."""
    return CheckConstraint(column(column_name).in_(values), name=name)
