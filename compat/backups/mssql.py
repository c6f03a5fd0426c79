"""SQL Server: BACKUP DATABASE and RESTORE DATABASE, run by the server itself.

The path is on the database server's disk, not this machine's, and the server account must be
able to write it. A .bak file cannot be read without restoring it, so the revision inside is
only known afterwards.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from compat.backups.base import BackupTool, not_a_backup
from compat.engine import build_engine
from compat.errors import TrackstoreError


class SqlServerBackup(BackupTool):
    local_file = False

    def check_client(self, engine: Engine) -> None:
        """The server backs itself up: there is no client program to match."""

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
        """Replace the whole database from master, with every other session sent away.

        The backup's files are moved onto the target database's own files, so a backup of
        one database restores into another as well as into itself.
        """
        database = _quoted_database(engine)
        engine.dispose()
        master = build_engine(engine.url.set(database="master"), os.environ)
        try:
            moves = _moves(master, path, str(engine.url.database))
            _run(master, f"ALTER DATABASE {database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            try:
                _run(
                    master,
                    f"RESTORE DATABASE {database} FROM DISK = {_literal(path)} "
                    f"WITH REPLACE, {moves}",
                )
            finally:
                _run(master, f"ALTER DATABASE {database} SET MULTI_USER")
        finally:
            master.dispose()


def _moves(master: Engine, path: Path, database: str) -> str:
    """MOVE clauses putting each file of the backup onto the target's file of its kind."""
    backup_files = _rows(master, f"RESTORE FILELISTONLY FROM DISK = {_literal(path)}")
    target_files = _rows(
        master,
        "SELECT type_desc, physical_name FROM sys.master_files "
        f"WHERE database_id = DB_ID({_literal(database)}) ORDER BY file_id",
    )
    kinds = {"D": "ROWS", "L": "LOG"}
    wanted = [(kinds.get(str(row.Type)), str(row.LogicalName)) for row in backup_files]
    if sorted(kind or "" for kind, _ in wanted) != sorted(str(row[0]) for row in target_files):
        raise TrackstoreError(
            f"The backup {path} has other data and log files than database {database}; "
            "restore it by hand with RESTORE DATABASE ... WITH MOVE."
        )
    free = {
        kind: [str(row[1]) for row in target_files if row[0] == kind] for kind in kinds.values()
    }
    return ", ".join(
        f"MOVE {_literal(logical)} TO {_literal(free[str(kind)].pop(0))}"
        for kind, logical in wanted
    )


def _run(engine: Engine, statement: str) -> None:
    """BACKUP and RESTORE refuse to run inside a transaction."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(statement)


def _rows(engine: Engine, statement: str) -> list[Any]:
    with engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        return list(autocommit.exec_driver_sql(statement))


def _quoted_database(engine: Engine) -> str:
    return str(engine.dialect.identifier_preparer.quote(str(engine.url.database)))


def _literal(text: object) -> str:
    escaped = str(text).replace("'", "''")
    return f"N'{escaped}'"
