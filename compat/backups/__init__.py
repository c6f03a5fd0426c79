"""Whole-database backups with each database's own tools, chosen by `Dialect.backup_method`.

A backup is a file in the database's native format (a SQLite database, a pg_dump custom
archive, a mysqldump script, a SQL Server .bak), so it can also be restored by hand with the
same tools. Passwords reach the tools through their environment, never their command line.
"""

from pathlib import Path

from sqlalchemy.engine import Engine

from compat.backups.base import BackupTool, write_atomically
from compat.backups.mssql import SqlServerBackup
from compat.backups.mysql import MysqlDump
from compat.backups.postgresql import PgDump
from compat.backups.sqlite import SqliteApi
from compat.dialects import dialect_for
from compat.progress import Describe, Say, duration, size, ticking

TOOLS: dict[str, BackupTool] = {
    "sqlite_api": SqliteApi(),
    "pg_dump": PgDump(),
    "mysqldump": MysqlDump(),
    "backup_database": SqlServerBackup(),
}


def tool_for(engine: Engine) -> BackupTool:
    """The backup tool of `engine`'s database."""
    return TOOLS[dialect_for(engine.dialect.name).backup_method]


def backup_database(engine: Engine, path: Path, say: Say | None = None) -> None:
    """Write a backup of `engine`'s database to the new file `path` (nothing left on failure);
    while it runs, `say` gets the bytes written so far (see `compat.progress`)."""
    tool = tool_for(engine)
    tool.check_client(engine)
    if not tool.local_file:
        with ticking(say, lambda elapsed: f"backup to {path}: running for {duration(elapsed)}"):
            tool.backup(engine, path)
        return
    with write_atomically(path) as partial, ticking(say, _written(partial, path)):
        tool.backup(engine, partial)


def _written(partial: Path, path: Path) -> Describe:
    def describe(elapsed: float) -> str:
        written = partial.stat().st_size if partial.exists() else 0
        return f"backup to {path}: {size(written)} written in {duration(elapsed)}"

    return describe


__all__ = ["BackupTool", "backup_database", "tool_for"]
