"""One upgrader at a time per database, across hosts: the migration lock.

Every upgrade and downgrade runs under it. A second process waits for the first to finish,
then reads the revision afresh, so eight containers starting at once leave one schema behind.
The lock is held by the session that runs the schema changes: MySQL goes on executing the ALTER
of a client killed by SIGKILL, and keeps that session's lock until the statement ends, so a rerun
started at once waits for it instead of altering the same table beside it.
"""

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from compat import Dialect, TrackstoreError, dialect_for, mask_url
from compat.settings import seconds_setting
from migrations.progress import Progress

log = logging.getLogger(__name__)

WAIT_VARIABLE = "TRACKSTORE_LOCK_TIMEOUT"
# Long enough for another host to finish a slow upgrade (hours of metrics on MariaDB).
DEFAULT_WAIT_SECONDS = 3600.0


def lock_wait_seconds(wait_seconds: float | None, env: Mapping[str, str] | None = None) -> float:
    """`wait_seconds`, else TRACKSTORE_LOCK_TIMEOUT, else one hour."""
    if wait_seconds is not None:
        return wait_seconds
    return seconds_setting(WAIT_VARIABLE, os.environ if env is None else env, DEFAULT_WAIT_SECONDS)


@contextmanager
def migration_lock(
    engine: Engine, wait_seconds: float | None = None, progress: Progress | None = None
) -> Iterator[Connection]:
    """Hold the migration lock of `engine`'s database for the body; yield the connection that
    holds it, on which the body makes its changes.

    Says who holds it while waiting; gives up after `wait_seconds` (see `lock_wait_seconds`).
    """
    wait = lock_wait_seconds(wait_seconds)
    dialect = dialect_for(engine.dialect.name)
    with engine.connect() as connection:
        if not dialect.acquire_migration_lock(connection, 0):
            holder = dialect.migration_lock_holder(connection) or "another session"
            if progress is not None:
                progress(f"waiting up to {wait:g} s for the migration lock, held by {holder}")
            if not dialect.acquire_migration_lock(connection, wait):
                holder = dialect.migration_lock_holder(connection) or holder
                raise TrackstoreError(
                    f"Another upgrade or downgrade of {mask_url(engine.url)} still holds the "
                    f"migration lock after {wait:g} s ({holder}); let it finish and run again, "
                    f"or wait longer with --lock-timeout or {WAIT_VARIABLE}."
                )
        try:
            yield connection
        finally:
            _release(dialect, connection)


def _release(dialect: Dialect, connection: Connection) -> None:
    """Give the lock back; if the session is already gone, the server has freed it."""
    try:
        dialect.release_migration_lock(connection)
    except DBAPIError as exc:
        log.warning("The migration lock session ended early (%s); the server freed the lock.", exc)
