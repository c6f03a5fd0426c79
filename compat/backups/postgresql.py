"""PostgreSQL: pg_dump's custom format; restored through psql in one transaction."""

import functools
import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine

from compat.backups.base import BackupTool, not_a_backup, readable_file, run_tool
from compat.errors import TrackstoreError

HEADER = b"PGDMP"
BIN_VARIABLE = "TRACKSTORE_PG_BIN"
# Where Debian and Ubuntu install each major version's client side by side.
VERSIONED_BIN_GLOB = "/usr/lib/postgresql/*/bin"
COPY_LINE = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;$")


class PgDump(BackupTool):
    def check_client(self, engine: Engine) -> None:
        program("pg_dump", server_major(engine))

    def backup(self, engine: Engine, path: Path) -> None:
        pg_dump = program("pg_dump", server_major(engine))
        run_tool(
            [pg_dump, "--format=custom", f"--file={path}", f"--dbname={conninfo(engine.url)}"],
            engine.url,
            password_env(engine.url),
            "no backup was written",
        )

    def recorded_revision(self, engine: Engine, path: Path) -> str | None:
        with readable_file(path).open("rb") as file:
            if file.read(len(HEADER)) != HEADER:
                raise not_a_backup(path, "PostgreSQL")
        pg_restore = program("pg_restore", server_major(engine))
        listing = run_tool(
            [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
            engine.url,
            {},
            "nothing was changed",
        )
        rows = _copied_rows(listing.stdout.decode())
        if len(rows) != 1:
            raise not_a_backup(path, "PostgreSQL")
        return rows[0]

    def restore(self, engine: Engine, path: Path, existing_tables: Sequence[str]) -> None:
        """Drop the tables there and load the backup, all in one transaction: all or nothing."""
        major = server_major(engine)
        url = engine.url
        with tempfile.TemporaryDirectory(prefix="trackstore-restore-") as folder:
            script = Path(folder) / "restore.sql"
            pg_restore = program("pg_restore", major)
            argv = [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(path)]
            run_tool(argv, url, {}, "nothing was changed")
            argv = [program("psql", major), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"]
            argv += ["--single-transaction", f"--dbname={conninfo(url)}"]
            if existing_tables:
                quote = engine.dialect.identifier_preparer.quote
                drop = ", ".join(quote(table) for table in existing_tables)
                argv.append(f"--command=DROP TABLE IF EXISTS {drop} CASCADE")
            argv.append(f"--file={script}")
            run_tool(argv, url, password_env(url), "the database was left as it was")


def _copied_rows(script: str) -> list[str]:
    """The rows of alembic_version's COPY block in a plain-text restore script."""
    lines = iter(script.splitlines())
    for line in lines:
        if COPY_LINE.match(line):
            return list(iter(lines.__next__, "\\."))
    return []


def conninfo(url: URL) -> str:
    """A libpq connection string for `url` without its password (that travels in PGPASSWORD)."""
    fields = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    fields.update({key: str(value) for key, value in url.query.items()})
    return " ".join(f"{key}={_quoted(value)}" for key, value in fields.items() if value)


def _quoted(value: object) -> str:
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def password_env(url: URL) -> dict[str, str]:
    return {"PGPASSWORD": str(url.password)} if url.password else {}


def server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return number // 10000


def program(name: str, server_major: int) -> str:
    """The `name` of PostgreSQL `server_major`, else the oldest newer one: an older client
    refuses the server, and a newer one may write settings an older server rejects. With
    TRACKSTORE_PG_BIN set, only the program in that folder is considered."""
    majors = {candidate: _major(candidate) for candidate in _candidates(name)}
    fitting = [candidate for candidate, major in majors.items() if major >= server_major]
    if fitting:
        return min(fitting, key=majors.__getitem__)
    raise TrackstoreError(cannot_serve(name, max(majors.values(), default=0), server_major))


def cannot_serve(name: str, client_major: int, server_major: int) -> str:
    found = f"{name} {client_major}" if client_major else f"No {name}"
    where = f"${BIN_VARIABLE}" if os.environ.get(BIN_VARIABLE) else "here"
    return (
        f"{found} ({where}) cannot back up or restore a PostgreSQL {server_major} server; use an "
        f"image with the PostgreSQL {server_major} client (build arg PG_CLIENT_VERSIONS, "
        f'e.g. "{server_major}"), install postgresql-client-{server_major}, or set '
        f"{BIN_VARIABLE} to the folder holding its {name}."
    )


def _candidates(name: str) -> Iterator[str]:
    if folder := os.environ.get(BIN_VARIABLE):
        yield str(Path(folder) / name)
        return
    if on_path := shutil.which(name):
        yield on_path
    yield from sorted(glob.glob(f"{VERSIONED_BIN_GLOB}/{name}"))


@functools.cache
def _major(program_path: str) -> int:
    """The major version a PostgreSQL client program reports, 0 when it cannot be run."""
    try:
        output = subprocess.run(
            [program_path, "--version"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return 0
    found = re.search(r"\)\s*(\d+)", output)
    return int(found.group(1)) if found else 0
