"""Before a backup starts, the backup client is checked against the server: pg_dump at least as
new as PostgreSQL, mysqldump of the same product (MySQL or MariaDB) and at least as new.

Version parsing and selection use small fake clients that print a version; the checks also run
with the real local pg_dump and mariadb-dump against the real servers, and `trackstore db
backup` refuses a mismatched client in one sentence, writing nothing.
"""

import os
from pathlib import Path

import pytest

from compat import TrackstoreError, make_engine
from compat.backups import mysql, postgresql, tool_for
from tests.cli import run_trackstore

MYSQL_80 = "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"
MYSQL_57 = "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)"
MARIADB_1011 = "mysqldump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)"
MARIADB_114 = "mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)"


def fake_client(folder: Path, name: str, version_line: str) -> Path:
    """A program `name` in `folder` that prints `version_line` for --version, else fails."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && echo "{version_line}" && exit 0\nexit 99\n'
    )
    program.chmod(0o755)
    return program


@pytest.mark.parametrize(
    ("version_line", "product", "version"),
    [
        (MYSQL_80, "MySQL", (8, 0)),
        (MYSQL_57, "MySQL", (5, 7)),
        (MARIADB_1011, "MariaDB", (10, 11)),
        (MARIADB_114, "MariaDB", (11, 4)),
        ("8.4.2", "MySQL", (8, 4)),
        ("10.11.19-MariaDB-0+deb12u1", "MariaDB", (10, 11)),
    ],
)
def test_mysql_releases_are_read_from_clients_and_servers(
    version_line: str, product: str, version: tuple[int, int]
) -> None:
    assert mysql.parse_release(version_line) == mysql.Release(product, version)


def test_a_client_release_is_read_by_running_it(tmp_path: Path) -> None:
    program = fake_client(tmp_path, "mysqldump", MYSQL_80)
    assert mysql.client_release(str(program)) == mysql.Release("MySQL", (8, 0))


def test_mariadbs_client_for_a_mysql_server_is_refused_naming_the_build_argument() -> None:
    reason = mysql.mismatch(
        "mysqldump", mysql.parse_release(MARIADB_1011), mysql.parse_release("8.0.36")
    )
    assert reason == (
        "mysqldump 10.11 is MariaDB's client and cannot back up a MySQL 8.0 server; use an "
        "image built with --build-arg MYSQL_CLIENT=mysql --build-arg MYSQL_SERIES=8.0, or "
        "install MySQL's client of that release or newer."
    )


def test_an_older_mysql_client_is_refused_and_a_matching_one_accepted() -> None:
    server = mysql.parse_release("8.4.2")
    older = mysql.mismatch("mysqldump", mysql.parse_release(MYSQL_80), server)
    assert older is not None
    assert "MYSQL_SERIES=8.4" in older
    assert mysql.mismatch("mysqldump", server, server) is None
    mariadb_114, mariadb_1011 = mysql.parse_release(MARIADB_114), mysql.parse_release(MARIADB_1011)
    assert mysql.mismatch("mariadb-dump", mariadb_114, mariadb_1011) is None
    refused = mysql.mismatch("mariadb-dump", mariadb_1011, mariadb_114)
    assert refused is not None
    assert refused.endswith(
        "--build-arg MYSQL_CLIENT=mariadb, or install MariaDB's client of that release or newer."
    )


def test_the_pg_client_of_the_servers_major_is_chosen_else_the_oldest_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for major in (14, 15, 17):
        fake_client(tmp_path / str(major) / "bin", "pg_dump", f"pg_dump (PostgreSQL) {major}.2")
    monkeypatch.setattr(postgresql, "VERSIONED_BIN_GLOB", f"{tmp_path}/*/bin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(postgresql.BIN_VARIABLE, raising=False)
    assert postgresql.program("pg_dump", 15) == f"{tmp_path}/15/bin/pg_dump"
    assert postgresql.program("pg_dump", 16) == f"{tmp_path}/17/bin/pg_dump"
    with pytest.raises(TrackstoreError) as refused:
        postgresql.program("pg_dump", 18)
    assert str(refused.value).startswith(
        "pg_dump 17 (here) cannot back up or restore a PostgreSQL 18 server; use an image with "
        'the PostgreSQL 18 client (build arg PG_CLIENT_VERSIONS, e.g. "18")'
    )


@pytest.mark.backends("postgresql", "mysql")
def test_the_local_clients_fit_the_local_servers(backend: str) -> None:
    engine = make_engine(backend)
    try:
        tool_for(engine).check_client(engine)
    finally:
        engine.dispose()


def _refused_backup(backend: str, tmp_path: Path, env: dict[str, str]) -> str:
    target = tmp_path / "backup.file"
    result = run_trackstore("db", "backup", backend, "--to", str(target), env=env)
    assert result.returncode != 0
    assert not target.exists()
    assert list(tmp_path.glob("*partial*")) == []
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.backends("postgresql")
def test_backup_with_an_old_pg_dump_is_refused_before_it_starts(
    backend: str, tmp_path: Path
) -> None:
    old = tmp_path / "pg12"
    fake_client(old, "pg_dump", "pg_dump (PostgreSQL) 12.18")
    line = _refused_backup(backend, tmp_path, {postgresql.BIN_VARIABLE: str(old)})
    assert (
        "pg_dump 12 ($TRACKSTORE_PG_BIN) cannot back up or restore a PostgreSQL 15 server" in line
    )
    assert "password" not in line.lower()


@pytest.mark.backends("mysql")
def test_backup_of_mariadb_with_mysqls_client_is_refused_before_it_starts(
    backend: str, tmp_path: Path
) -> None:
    clients = tmp_path / "mysql-client"
    for name in mysql.DUMP_PROGRAMS:
        fake_client(clients, name, MYSQL_80)
    path = f"{clients}{os.pathsep}{os.environ['PATH']}"
    line = _refused_backup(backend, tmp_path, {"PATH": path})
    assert "is MySQL's client and cannot back up a MariaDB 10.11 server" in line
    assert "--build-arg MYSQL_CLIENT=mariadb" in line
