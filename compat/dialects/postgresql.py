"""PostgreSQL."""

from collections.abc import Mapping
from typing import ClassVar

from sqlalchemy.engine import URL

from compat.dialects.base import Dialect


class PostgreSQL(Dialect):
    name = "postgresql"
    max_index_key_bytes = 2704
    max_bind_params = 32767
    admin_database = "postgres"
    permanent_error_texts: ClassVar[tuple[str, ...]] = (
        "password authentication failed",
        "does not exist",
        "no password supplied",
        "no pg_hba.conf entry",
    )

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        """A bare postgresql:// means psycopg2, as on SQLAlchemy 2.0 (2.1 would pick psycopg 3)."""
        return url.set(drivername="postgresql+psycopg2") if "+" not in url.drivername else url

    def drop_database_sql(self, name: str) -> list[str]:
        return [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]
