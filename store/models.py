"""The head schema (bda7b8c39065) as SQLAlchemy models."""

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

metadata = MetaData()


def create_all(connection: Connection) -> None:
    """Create every head table on `connection`, inside the caller's transaction."""
    metadata.create_all(connection)
