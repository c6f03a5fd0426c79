"""SQL Server: BACKUP DATABASE and RESTORE DATABASE, run by the server itself.

The path is on the database server's disk, not this machine's, and the server account must be
able to write it. A .bak file cannot be read without restoring it, so the revision inside is
only known afterwards.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from compat.backups.base import BackupTool, not_a_backup
from compat.engine import build_engine


class SqlServerBackup(BackupTool):
    local_file = False

    def backup(self, engine: Engine, path: Path) -> None:
        database = _quoted_database(engine)
        _run(engine, f"BACKUP DATABASE {database} TO DISK = {_literal(path)} WITH COPY_ONLY, INIT")

    def recorded_revision(self, engine: Engine, path: Path) -> str | None:
        try:
            _run(engine, f"RESTORE VERIFYONLY FROM DISK = {_literal(path)}")
        except DBAPIError:
            raise not_a_backup(path, "SQL Server") from None
        return None

    def restore(self, engine: Engine, path: Path, existing_tables: Sequence[str]) -> None:
        """Replace the whole database from master, with every other session sent away."""
        database = _quoted_database(engine)
        engine.dispose()
        master = build_engine(engine.url.set(database="master"), os.environ)
        try:
            _run(master, f"ALTER DATABASE {database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            try:
                _run(
                    master, f"RESTORE DATABASE {database} FROM DISK = {_literal(path)} WITH REPLACE"
                )
            finally:
                _run(master, f"ALTER DATABASE {database} SET MULTI_USER")
        finally:
            master.dispose()


def _run(engine: Engine, statement: str) -> None:
    """BACKUP and RESTORE refuse to run inside a transaction."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(statement)


def _quoted_database(engine: Engine) -> str:
    return str(engine.dialect.identifier_preparer.quote(str(engine.url.database)))


def _literal(path: Path) -> str:
    escaped = str(path).replace("'", "''")
    return f"N'{escaped}'"
