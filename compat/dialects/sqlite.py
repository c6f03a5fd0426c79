"""SQLite: the embedded default, one file per store."""

import fcntl
import logging
import os
import random
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar, cast

from sqlalchemy import Integer, event, literal_column
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from compat.dialects.base import Dialect, Trigger, changed, split_create_trigger, string_literal
from compat.dialects.sqlite_files import check_database_file
from compat.errors import TrackstoreError
from compat.transactions import DatabaseBusy, is_writing

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# Longest pause between a writer's tries for the write lock (each pause is drawn at random below
# it, so that waiting writers do not retry in step).
WRITER_POLL_SECONDS = 0.004
MIGRATING_OPTION = "trackstore_migrating"
# Pragmas that differ between serving and migrating, set before each transaction. Migrations
# turn foreign keys off (copying a table to alter it would cascade its deletes) and take a large
# page cache: a copied table rebuilds its primary-key index many times faster when the index
# fits in memory. Serving gets SQLite's default cache back.
SERVING_PRAGMAS = {"foreign_keys": "ON", "cache_size": "-2000"}
MIGRATING_PRAGMAS = {"foreign_keys": "OFF", "cache_size": f"-{512 * 1024}"}
# WAL pages written before a commit copies them back into the database file (SQLite's default
# is 1,000). Logging appends to the same index leaves call after call; copying them back ten
# times less often makes a 1,000-metric log_batch about 2 ms (20%) faster, for a WAL file of
# up to about 40 MiB beside the database. Every commit is still synced (synchronous FULL).
WAL_CHECKPOINT_PAGES = 10_000
LOCK_FILE_SUFFIX = ".migration-lock"
# The journal mode of databases trackstore creates or serves. WAL lets readers go on while one
# writer commits, which a server with several workers needs; it keeps its index in shared
# memory, which network filesystems may not provide (choose DELETE there).
JOURNAL_MODE_VARIABLE = "TRACKSTORE_SQLITE_JOURNAL_MODE"
DEFAULT_JOURNAL_MODE = "WAL"
JOURNAL_MODES = ("WAL", "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "OFF")
LOCK_INFO_KEY = "trackstore_migration_lock"


class SQLite(Dialect):
    autoincrement_needs_integer = True
    name = "sqlite"
    native_boolean = False
    alters_by_copying_table = True
    lock_method = "exclusive"
    copy_seconds_per_row = 1.0e-5
    file_based = True
    create_schema_when_empty = True
    backup_method = "sqlite_api"
    max_integer = 2**63 - 1
    max_bind_params = 32766
    begin_writer_sql = "BEGIN IMMEDIATE"
    busy_error_texts = ("database is locked",)
    trigger_lookup_sql = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"

    def keep_settings(self, engine: Engine, env: Mapping[str, str]) -> None:
        if is_file_database(engine.url):
            set_journal_mode(engine, journal_mode(env))

    def check_location(self, url: URL, may_create: bool) -> None:
        database = url.database or ""
        if is_file_database(url) and not database.startswith("file:"):
            check_database_file(database, may_create)

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        journal_mode(env)  # a bad setting is refused before anything opens the file
        return {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}

    def on_engine(self, engine: Engine) -> None:
        """Real transactions (DDL included), foreign keys, and a busy timeout for files.

        pysqlite's own transaction handling leaves DDL outside any transaction, so BEGIN is
        emitted here instead, after the serving or migrating pragmas. LIKE is made
        case-sensitive, as MLflow's store makes it, so searches match alike on every database.
        """
        wal = is_file_database(engine.url)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA case_sensitive_like = ON")
            if wal:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            migrating = connection.get_execution_options().get(MIGRATING_OPTION, False)
            _set_pragmas(connection, MIGRATING_PRAGMAS if migrating else SERVING_PRAGMAS)
            self.begin(connection)

    def begin(self, connection: Connection) -> None:
        """BEGIN, or BEGIN IMMEDIATE inside `compat.transactions.writing()`.

        A writer polls for the write lock every few milliseconds for up to the busy timeout;
        if other writers hold it longer, DatabaseBusy says so rather than the driver's
        "database is locked". SQLite's own busy handler sleeps longer the longer it has waited
        (up to 100 ms a try), so a writer that has waited long kept losing the lock to newcomers.
        """
        sql = self.begin_writer_sql if is_writing() else None
        if sql is None:
            connection.exec_driver_sql("BEGIN")
            return
        driver = cast(sqlite3.Connection, connection.connection.driver_connection)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        driver.execute("PRAGMA busy_timeout = 0")
        try:
            while not self._try_begin(driver, sql):
                if time.monotonic() >= deadline:
                    raise DatabaseBusy()
                time.sleep(random.uniform(0, WRITER_POLL_SECONDS))
        finally:
            driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _try_begin(self, driver: sqlite3.Connection, sql: str) -> bool:
        """Run `sql` on the sqlite3 connection itself (a try costs microseconds, not the tens
        that a statement through SQLAlchemy does); False when the database is busy."""
        try:
            driver.execute(sql)
        except sqlite3.OperationalError as exc:
            if not any(text in str(exc).lower() for text in self.busy_error_texts):
                raise
            return False
        return True

    def identity_key_type(self) -> TypeEngine[Any]:
        """INTEGER: only an INTEGER PRIMARY KEY is SQLite's rowid, numbered by itself."""
        return Integer()

    def scan_order(self, primary_key: ColumnElement[Any]) -> ColumnElement[Any]:
        """A table with a text primary key is stored, and scanned, in rowid order."""
        return literal_column("rowid")

    def forbid_changes_sql(
        self, trigger: str, table: str, columns: Sequence[str], message: str
    ) -> list[str]:
        return [
            f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN {changed(columns)} "
            f"BEGIN SELECT RAISE(ABORT, {string_literal(message)}); END"
        ]

    def for_migrations(self, connection: Connection) -> Connection:
        return connection.execution_options(**{MIGRATING_OPTION: True})

    permanent_error_texts: ClassVar[tuple[str, ...]] = ("unable to open database file",)

    def try_migration_lock(self, connection: Connection) -> bool:
        """An exclusive lock on a small file beside the database, which exists only while held.

        Locking the database file itself would shut out the migration's own connection; the
        side file's lock is the operating system's, freed when the holder dies.
        """
        path = migration_lock_file(connection.engine.url)
        if path is None:
            return True
        holder = lock_side_file(path)
        if holder is None:
            return False
        connection.info[LOCK_INFO_KEY] = holder
        return True

    def release_migration_lock(self, connection: Connection) -> None:
        """Remove the side file while still holding it, then let go: a waiter that opened the
        removed file sees that it is gone and opens a new one (see `lock_side_file`)."""
        holder = connection.info.pop(LOCK_INFO_KEY, None)
        if holder is not None:
            Path(holder.name).unlink(missing_ok=True)
            holder.close()

    def migration_lock_holder(self, connection: Connection) -> str | None:
        path = migration_lock_file(connection.engine.url)
        return f"another process on this host (lock file {path})"

    def triggers(self, connection: Connection) -> list[Trigger]:
        """SQLite keeps each trigger's CREATE statement as written; one that names no timing
        fires BEFORE, and is described so."""
        rows = connection.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
        found = []
        for name, table, sql in rows.tuples():
            when, rest = split_create_trigger(sql)
            if when and not when.startswith(("BEFORE ", "AFTER ", "INSTEAD OF ")):
                when = f"BEFORE {when}"
            found.append((name, table, when, rest))
        return found


def journal_mode(env: Mapping[str, str]) -> str:
    """The journal mode TRACKSTORE_SQLITE_JOURNAL_MODE names (default WAL), checked."""
    mode = env.get(JOURNAL_MODE_VARIABLE, "").strip().upper() or DEFAULT_JOURNAL_MODE
    if mode not in JOURNAL_MODES:
        raise TrackstoreError(
            f"{JOURNAL_MODE_VARIABLE} is '{env[JOURNAL_MODE_VARIABLE]}', not a SQLite journal "
            f"mode; set it to one of {', '.join(JOURNAL_MODES)}, or unset it for WAL."
        )
    return mode


def set_journal_mode(engine: Engine, mode: str) -> None:
    """Make `mode` the database file's journal mode (it lasts in the file), outside any
    transaction; warn when SQLite keeps another (WAL needs shared memory that some network
    filesystems lack)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA journal_mode = {mode}")
        row = cursor.fetchone()
        kept = str(row[0]).upper() if row else ""
        cursor.close()
    finally:
        raw.close()
    if kept != mode:
        log.warning("SQLite kept journal mode %s for %s instead of %s.", kept, engine.url, mode)


def lock_side_file(path: Path) -> IO[str] | None:
    """`path` opened (created if missing) and exclusively locked, or None when another process
    holds it. A lock on a file that its holder removed in the meantime guards nothing, so the
    lock counts only while `path` still names the locked file."""
    while True:
        try:
            handle = open(path, "a")  # noqa: SIM115 - held open for as long as the lock is
        except OSError as exc:
            raise TrackstoreError(
                f"Cannot use the migration lock file {path} ({exc.strerror}); make its folder "
                "writable."
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        try:
            current = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return handle
        handle.close()


def _set_pragmas(connection: Connection, pragmas: dict[str, str]) -> None:
    """Apply `pragmas` unless this DBAPI connection already has them (one check, no SQL)."""
    if connection.info.get("pragmas") is pragmas:
        return
    for name, value in pragmas.items():
        connection.exec_driver_sql(f"PRAGMA {name} = {value}")
    connection.info["pragmas"] = pragmas


def is_file_database(url: URL) -> bool:
    """True for a SQLite URL naming a file (not memory, not a `file:` URI with mode=memory)."""
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in database


def migration_lock_file(url: URL) -> Path | None:
    """The side file whose exclusive lock is the migration lock; None for a memory database."""
    if not is_file_database(url):
        return None
    return Path(f"{Path(url.database or '').expanduser()}{LOCK_FILE_SUFFIX}")
