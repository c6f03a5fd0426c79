"""SQLite: the embedded default, one file per store."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from compat.dialects.base import Dialect

BUSY_TIMEOUT_MS = 30_000
MIGRATING_OPTION = "trackstore_migrating"


class SQLite(Dialect):
    name = "sqlite"
    native_boolean = False
    alters_by_copying_table = True
    lock_method = "exclusive"
    backup_method = "sqlite_api"
    max_bind_params = 32766

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        if is_file_database(url):
            Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
        return url

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        return {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}

    def on_engine(self, engine: Engine) -> None:
        """Real transactions (DDL included), foreign keys, and WAL with a busy timeout for files.

        pysqlite's own transaction handling leaves DDL outside any transaction, so BEGIN is
        emitted here instead. Foreign keys are switched off for migration connections, because
        copying a table to alter it would otherwise cascade its deletes.
        """
        wal = is_file_database(engine.url)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            migrating = connection.get_execution_options().get(MIGRATING_OPTION, False)
            connection.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if migrating else 'ON'}")
            connection.exec_driver_sql("BEGIN")

    def for_migrations(self, connection: Connection) -> Connection:
        return connection.execution_options(**{MIGRATING_OPTION: True})

    permanent_error_texts: ClassVar[tuple[str, ...]] = ("unable to open database file",)


def is_file_database(url: URL) -> bool:
    """True for a SQLite URL naming a file (not memory, not a `file:` URI with mode=memory)."""
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in database
