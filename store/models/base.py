"""What every head model shares: the declarative base, its MetaData, and recurring shapes."""

from collections.abc import Sequence

from sqlalchemy import CheckConstraint, Float, MetaData, String, column
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Lengths MLflow gives the same kind of column in many tables.
KEY_LENGTH = 250
RUN_ID_LENGTH = 32
EXPERIMENT_NAME_LENGTH = 256
MODEL_NAME_LENGTH = 256
UUID_LENGTH = 36
USER_LENGTH = 255
LIFECYCLE_STAGES = ("active", "deleted")
# Every row of a workspace-scoped table names its workspace; without multi-workspace mode that
# is always this one.
DEFAULT_WORKSPACE = "default"
WORKSPACE_LENGTH = 63
# Float(53) is a double everywhere (FLOAT on SQLite, double precision, DOUBLE).
DOUBLE = Float(precision=53)


class Base(DeclarativeBase):
    """Base of the head models; no naming convention, so unnamed constraints stay unnamed and
    each database names them as it named MLflow's."""

    metadata = MetaData()


def one_of(
    column_name: str, values: Sequence[str | int], name: str | None = None
) -> CheckConstraint:
    """CHECK (column IN (values...)), as MLflow spells its enumerations."""
    return CheckConstraint(column(column_name).in_(values), name=name)


def workspace_column() -> Mapped[str]:
    """The workspace a row belongs to, 'default' unless a writer says otherwise."""
    return mapped_column(String(WORKSPACE_LENGTH), nullable=False, server_default=DEFAULT_WORKSPACE)
