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

TOOLS: dict[str, BackupTool] = {
    "sqlite_api": SqliteApi(),
    "pg_dump": PgDump(),
    "mysqldump": MysqlDump(),
    "backup_database": SqlServerBackup(),
}


def tool_for(engine: Engine) -> BackupTool:
    """The backup tool of `engine`'s database."""
    return TOOLS[dialect_for(engine.dialect.name).backup_method]


def backup_database(engine: Engine, path: Path) -> None:
    """Write a backup of `engine`'s database to the new file `path` (nothing left on failure)."""
    tool = tool_for(engine)
    if not tool.local_file:
        tool.backup(engine, path)
        return
    with write_atomically(path) as partial:
        tool.backup(engine, partial)


__all__ = ["BackupTool", "backup_database", "tool_for"]
