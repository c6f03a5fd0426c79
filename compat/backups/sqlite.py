"""SQLite: the online backup API copies a consistent database while others keep using it."""

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import Engine

from compat.backups.base import BackupTool, not_a_backup, readable_file
from compat.errors import TrackstoreError

HEADER = b"SQLite format 3\x00"
BUSY_SECONDS = 30.0


class SqliteApi(BackupTool):
    def check_client(self, engine: Engine) -> None:
        """Python's own sqlite3 module backs up: there is no separate client to match."""

    def backup(self, engine: Engine, path: Path) -> None:
        """A copy in rollback-journal mode, so reading it later leaves no -wal/-shm files."""
        source, target = _read_only(database_file(engine)), sqlite3.connect(path)
        with closing(source), closing(target):
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")

    def recorded_revision(self, engine: Engine, path: Path) -> str | None:
        with readable_file(path).open("rb") as file:
            if file.read(len(HEADER)) != HEADER:
                raise not_a_backup(path, "SQLite")
        try:
            with closing(_read_only(path)) as backup:
                rows = backup.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            raise not_a_backup(path, "SQLite") from None
        if len(rows) != 1:
            raise not_a_backup(path, "SQLite")
        return str(rows[0][0])

    def restore(self, engine: Engine, path: Path, existing_tables: Sequence[str]) -> None:
        """Copy every page of the backup over the database, in one transaction of its own."""
        engine.dispose()
        source = _read_only(path)
        target = sqlite3.connect(database_file(engine), timeout=BUSY_SECONDS)
        with closing(source), closing(target):
            source.backup(target)


def database_file(engine: Engine) -> Path:
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        raise TrackstoreError(
            "A memory database cannot be backed up or restored; give a sqlite:///path.db URI."
        )
    return Path(database).expanduser()


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)
