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
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
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
from compat.errors import TrackstoreError

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
    def check_client(self, engine: Engine) -> None:
        dump_program(engine)

    def backup(self, engine: Engine, path: Path) -> None:
        url = engine.url
        argv = [dump_program(engine), *connection_options(url)]
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


@dataclass(frozen=True)
class Release:
    """A MySQL or MariaDB release, as a client's --version or the server's VERSION() names it."""

    product: str
    version: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.product} {self.version[0]}.{self.version[1]}"


def dump_program(engine: Engine) -> str:
    """The dump program here, once checked against the server: the same product (MySQL's
    mysqldump reads tables MariaDB lacks, MariaDB's writes what MySQL rejects) and a release
    at least as new."""
    server = server_release(engine)
    names = DUMP_PROGRAMS if server.product == "MariaDB" else DUMP_PROGRAMS[::-1]
    found = find_program(*names, package=PACKAGE)
    if reason := mismatch(Path(found).name, client_release(found), server):
        raise TrackstoreError(reason)
    return found


def mismatch(name: str, client: Release, server: Release) -> str | None:
    """Why the dump program `name` of release `client` cannot back up `server`; None if it can."""
    if client.product == server.product and client.version >= server.version:
        return None
    return (
        f"{name} {client.version[0]}.{client.version[1]} is {client.product}'s client and "
        f"cannot back up a {server} server; use an image built with {build_arguments(server)}, "
        f"or install {server.product}'s client of that release or newer."
    )


def build_arguments(server: Release) -> str:
    """The docker/Dockerfile build arguments whose client fits `server`."""
    if server.product == "MariaDB":
        return "--build-arg MYSQL_CLIENT=mariadb"
    series = "{}.{}".format(*server.version)
    return f"--build-arg MYSQL_CLIENT=mysql --build-arg MYSQL_SERIES={series}"


def server_release(engine: Engine) -> Release:
    with engine.connect() as connection:
        return parse_release(str(connection.execute(text("SELECT VERSION()")).scalar_one()))


def client_release(program: str) -> Release:
    result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    return parse_release(result.stdout)


def parse_release(version: str) -> Release:
    """MariaDB: `Ver 10.19 Distrib 10.11.6-MariaDB`, `from 11.4.2-MariaDB, client 10.19`,
    `10.11.6-MariaDB-0+deb12u1`; MySQL: `Ver 8.0.36 for Linux`, `Ver 10.13 Distrib 5.7.44`,
    `8.0.36`. The release is the Distrib (or `from`) number where there is one."""
    product = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    found = re.search(r"(?:Distrib|from)\s+(\d+)\.(\d+)", version) or re.search(
        r"(\d+)\.(\d+)", version.split("Ver", 1)[-1]
    )
    if found is None:
        raise TrackstoreError(f"Cannot tell the MySQL or MariaDB release from '{version.strip()}'.")
    return Release(product, (int(found.group(1)), int(found.group(2))))


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
