"""Creating and dropping whole databases on a server, for tests, restores and CI."""

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from compat.dialects import dialect_for


def create_database(server_url: URL, name: str) -> URL:
    """Create database `name` on the server of `server_url`; return the URL that opens it."""
    _execute(server_url, dialect_for(server_url.get_backend_name()).create_database_sql(name))
    return server_url.set(database=name)


def drop_database(server_url: URL, name: str) -> None:
    """Drop database `name` from the server of `server_url`, closing its sessions first."""
    for statement in dialect_for(server_url.get_backend_name()).drop_database_sql(name):
        _execute(server_url, statement)


def _execute(server_url: URL, statement: str) -> None:
    dialect = dialect_for(server_url.get_backend_name())
    url = dialect.prepare_url(server_url.set(database=dialect.admin_database), {})
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
