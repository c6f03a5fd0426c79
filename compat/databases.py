"""Creating and dropping whole databases on a server, for tests, restores and CI."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from compat.dialects import dialect_for
from compat.errors import TrackstoreError
from compat.urls import mask_text, mask_url


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


@contextmanager
def scratch_database(url: URL) -> Iterator[URL]:
    """A new, empty database of `url`'s kind, beside it, removed afterwards.

    SQLite gets a temporary file; a server gets a database of a random name, which needs the
    right to create one: without it, the error says so.
    """
    if dialect_for(url.get_backend_name()).file_based:
        with tempfile.TemporaryDirectory(prefix="trackstore-scratch-") as folder:
            yield url.set(database=str(Path(folder) / "scratch.db"))
        return
    name = f"trackstore_scratch_{uuid.uuid4().hex[:12]}"
    try:
        scratch = create_database(url, name)
    except DBAPIError as exc:
        reason = mask_text(str(exc.orig).strip().splitlines()[0], url)
        raise TrackstoreError(
            f"Could not create a scratch database on {mask_url(url.set(database=None))} "
            f"({reason}); run this as a user allowed to create databases."
        ) from None
    try:
        yield scratch
    finally:
        drop_database(url, name)
