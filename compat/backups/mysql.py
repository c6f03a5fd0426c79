"""MySQL and MariaDB: mysqldump (or mariadb-dump) in one consistent snapshot; the mysql client
loads it back.

MySQL cannot undo DDL, so a restore that fails part-way leaves the tables it reached; every
check (format, revision, credentials, emptiness) therefore runs before the first statement.
"""

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from compat.backups.base import (
    BackupTool,
    find_program,
    not_a_backup,
    readable_file,
    run_tool,
    tool_failure,
)
from compat.dialects.mysql import SSL_VARIABLES

DUMP_PROGRAMS = ("mysqldump", "mariadb-dump")
CLIENT_PROGRAMS = ("mysql", "mariadb")
PACKAGE = "the MySQL or MariaDB client (mysql-client or mariadb-client)"
HEADERS = (b"-- MySQL dump", b"-- MariaDB dump")
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 512
# MariaDB 10.11.8+ dumps open with a line that MySQL's client rejects; it only guards
# against a hostile dump, so it is left out when loading.
SANDBOX_LINE = b"/*M!999999\\- enable the sandbox mode */"
COMPLETED = b"-- Dump completed"
REVISION_ROW = re.compile(rb"INSERT INTO `alembic_version` VALUES\s*\('([^']*)'\)")


class MysqlDump(BackupTool):
    def backup(self, engine: Engine, path: Path) -> None:
        url = engine.url
        argv = [find_program(*DUMP_PROGRAMS, package=PACKAGE), *connection_options(url)]
        argv += ["--single-transaction", "--no-tablespaces", "--hex-blob"]
        argv += [f"--result-file={path}", str(url.database)]
        run_tool(argv, url, password_env(url), "no backup was written")

    def recorded_revision(self, engine: Engine, path: Path) -> str | None:
        """The revision in the dump's alembic_version rows: mysqldump writes tables in name
        order, so they are near the start, and a complete dump ends with its closing line."""
        with readable_file(path).open("rb") as dump:
            start = dump.read(HEAD_BYTES)
            dump.seek(max(0, dump.seek(0, os.SEEK_END) - TAIL_BYTES))
            end = dump.read()
        if not any(header in start[:TAIL_BYTES] for header in HEADERS):
            raise not_a_backup(path, "MySQL")
        rows = REVISION_ROW.findall(start)
        if len(rows) != 1 or COMPLETED not in end:
            raise not_a_backup(path, "MySQL")
        return str(rows[0].decode())

    def restore(self, engine: Engine, path: Path, existing_tables: Sequence[str]) -> None:
        url = engine.url
        argv = [find_program(*CLIENT_PROGRAMS, package=PACKAGE), *connection_options(url)]
        argv.append(str(url.database))
        quote = engine.dialect.identifier_preparer.quote
        prelude = b""
        if existing_tables:
            drop = ", ".join(quote(table) for table in existing_tables)
            prelude = f"SET FOREIGN_KEY_CHECKS = 0;\nDROP TABLE IF EXISTS {drop};\n".encode()
        with tempfile.TemporaryFile() as errors, readable_file(path).open("rb") as dump:
            client = subprocess.Popen(
                argv,
                env={**os.environ, **password_env(url)},
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            assert client.stdin is not None
            try:
                client.stdin.write(prelude)
                for line in dump:
                    if not line.startswith(SANDBOX_LINE):
                        client.stdin.write(line)
                client.stdin.close()
            except BrokenPipeError:
                pass
            if client.wait() != 0:
                errors.seek(0)
                raise tool_failure(
                    argv[0], errors.read(), url, "tables up to the failing statement were replaced"
                )


def connection_options(url: URL) -> list[str]:
    """Client options for `url`, without the password (that travels in MYSQL_PWD)."""
    options = ["--default-character-set=utf8mb4"]
    if socket := url.query.get("unix_socket"):
        options.append(f"--socket={socket}")
    else:
        options += ["--protocol=TCP", f"--host={url.host or '127.0.0.1'}"]
        options.append(f"--port={url.port or 3306}")
    if url.username:
        options.append(f"--user={url.username}")
    for variable, argument in SSL_VARIABLES.items():
        if value := os.environ.get(variable):
            options.append(f"--{argument.replace('_', '-')}={value}")
    return options


def password_env(url: URL) -> dict[str, str]:
    return {"MYSQL_PWD": str(url.password)} if url.password else {}
