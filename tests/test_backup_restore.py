"""`db backup` and `db restore` with each database's own tools; every refusal changes nothing."""

import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from compat import make_engine
from compat.backups import tool_for
from migrations import runner
from migrations.backups import restore_backup, take_backup
from migrations.inspect_schema import differences
from tests.cli import run_trackstore
from tests.sample_store import OLD_REVISION, build_sample, table_rows
from tests.schema import Snapshot, snapshot

# Tests of backup files on this machine; SQL Server writes its own on the server.
LOCAL_FILES = pytest.mark.backends("sqlite", "postgresql", "mysql")
# Programs whose command lines the spy records (see `spy_path`).
DATABASE_PROGRAMS = ("pg_dump", "pg_restore", "psql", "mysqldump", "mariadb-dump", "mysql")


@pytest.fixture(scope="module")
def source(backend: str) -> str:
    """A store with rows at an old revision: what a DBA backs up before upgrading."""
    build_sample(backend)
    return backend


@pytest.fixture(scope="module")
def backup_folder(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where backups go: a temporary folder here, or one on the server for SQL Server, which
    writes its backups itself."""
    with _engine(backend) as engine:
        local = tool_for(engine).local_file
    if local:
        return tmp_path_factory.mktemp("backups")
    return Path(os.environ.get("TRACKSTORE_TEST_MSSQL_BACKUP_FOLDER", "/var/opt/mssql/data"))


@pytest.fixture(scope="module")
def backup_file(source: str, backup_folder: Path) -> Path:
    path = backup_folder / f"store-{uuid.uuid4().hex[:8]}.backup"
    result = run_trackstore("db", "backup", source, "--to", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_backup_then_restore_gives_the_same_schema_and_rows(
    source: str, backup_file: Path, fresh_backend: str
) -> None:
    result = run_trackstore("db", "restore", str(backup_file), fresh_backend)
    assert result.returncode == 0, result.stderr
    assert f"at revision {OLD_REVISION}" in result.stdout
    assert table_rows(fresh_backend) == table_rows(source)
    assert differences(_snapshot(source), _snapshot(fresh_backend)) == []


def test_restore_refuses_a_database_that_is_not_empty(
    backup_file: Path, fresh_backend: str
) -> None:
    _add_table(fresh_backend, "keep_me")
    result = run_trackstore("db", "restore", str(backup_file), fresh_backend)
    assert result.returncode == 1
    assert "is not empty (1 tables)" in result.stderr
    assert "--force" in result.stderr
    assert list(table_rows(fresh_backend)) == ["keep_me"]


def test_restore_with_force_replaces_every_table(
    source: str, backup_file: Path, fresh_backend: str
) -> None:
    _add_table(fresh_backend, "keep_me")
    result = run_trackstore("db", "restore", str(backup_file), fresh_backend, "--force")
    assert result.returncode == 0, result.stderr
    assert table_rows(fresh_backend) == table_rows(source)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, fresh_backend: str) -> None:
    impostor = tmp_path / "notes.txt"
    impostor.write_text("-- not a dump\nSELECT 1;\n")
    result = run_trackstore("db", "restore", str(impostor), fresh_backend)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: {impostor} is not a ")
    assert "backup taken by trackstore" in result.stderr
    assert table_rows(fresh_backend) == {}


def test_restore_refuses_a_backup_at_a_revision_it_does_not_know(
    backup_file: Path, fresh_backend: str, backup_folder: Path
) -> None:
    path = backup_folder / f"future-{uuid.uuid4().hex[:8]}.backup"
    with _engine(fresh_backend) as engine:
        restore_backup(backup_file, engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'feedfacecafe'"))
        take_backup(engine, path)
    before = table_rows(fresh_backend)
    result = run_trackstore("db", "restore", str(path), fresh_backend, "--force")
    assert result.returncode == 1
    assert "taken at revision 'feedfacecafe', which this trackstore does not know" in result.stderr
    assert table_rows(fresh_backend) == before


@LOCAL_FILES
def test_backup_to_a_folder_that_does_not_exist_writes_nothing(source: str, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "store.backup"
    result = run_trackstore("db", "backup", source, "--to", str(path))
    assert result.returncode == 1
    assert "its folder" in result.stderr and "does not exist or is not writable" in result.stderr
    assert not path.parent.exists()


@LOCAL_FILES
def test_backup_never_overwrites_a_file(source: str, tmp_path: Path) -> None:
    path = tmp_path / "store.backup"
    path.write_text("an older backup")
    result = run_trackstore("db", "backup", source, "--to", str(path))
    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert path.read_text() == "an older backup"


@pytest.mark.backends("postgresql", "mysql", "mssql")
def test_wrong_credentials_are_one_sentence_without_the_password(
    source: str, tmp_path: Path
) -> None:
    """An unknown user: the local test servers trust any password of a known one."""
    wrong = make_url(source).set(username="trackstore_nobody", password="not-the-Secret-42")
    path = tmp_path / "store.backup"
    result = run_trackstore(
        "db", "backup", wrong.render_as_string(hide_password=False), "--to", str(path)
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: Could not connect to ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not-the-Secret-42" not in result.stdout + result.stderr
    assert not path.exists()


@pytest.mark.backends("postgresql", "mysql", "mssql")
def test_unreachable_host_is_one_sentence(source: str, tmp_path: Path) -> None:
    nowhere = make_url(source).set(host="127.0.0.1", port=9)
    result = run_trackstore(
        "db",
        "restore",
        str(tmp_path / "store.backup"),
        nowhere.render_as_string(hide_password=False),
        env={"TRACKSTORE_DB_WAIT_SECONDS": "0.5"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: Could not connect to ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.backends("postgresql", "mysql")
def test_password_reaches_the_tools_through_the_environment_only(
    source: str, backup_file: Path, fresh_backend: str, spy_path: Path
) -> None:
    password = make_url(source).password
    if not password:
        pytest.skip("the test server's URL has no password to hide")
    env = {"PATH": f"{spy_path}{os.pathsep}{os.environ['PATH']}"}
    backed_up = run_trackstore("db", "backup", source, "--to", str(spy_path / "b"), env=env)
    assert backed_up.returncode == 0, backed_up.stderr
    restored = run_trackstore("db", "restore", str(backup_file), fresh_backend, env=env)
    assert restored.returncode == 0, restored.stderr
    calls = (spy_path / "calls.log").read_text().splitlines()
    connecting = [call for call in calls if "host=" in call]
    assert len(connecting) == 2
    assert all(call.startswith("password-in-env ") for call in connecting)
    assert not any(str(password) in call for call in calls)


@pytest.fixture
def spy_path(tmp_path: Path) -> Path:
    """A folder of wrappers that log each database program's argv, marked by whether a
    password came in the environment, then run the real program."""
    folder = tmp_path / "spy"
    folder.mkdir()
    log = folder / "calls.log"
    for name in DATABASE_PROGRAMS:
        wrapper = folder / name
        wrapper.write_text(
            "#!/bin/sh\n"
            f'real=$(PATH="${{PATH#{folder}:}}" command -v {name})\n'
            'case "$*" in *--version*) exec "$real" "$@";; esac\n'
            f'if [ -n "$PGPASSWORD$MYSQL_PWD" ]; then seen=password-in-env; else seen=argv; fi\n'
            f'echo "$seen $*" >> {log}\n'
            'exec "$real" "$@"\n'
        )
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return folder


@LOCAL_FILES
def test_upgrade_takes_the_backup_first(
    backup_file: Path, tmp_path: Path, fresh_backend: str
) -> None:
    with _engine(fresh_backend) as engine:
        restore_backup(backup_file, engine)
    path = tmp_path / "before-upgrade.backup"
    result = run_trackstore("db", "upgrade", fresh_backend, "--backup-to", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("backed up ") and str(path) in lines[0]
    assert lines[1].startswith("upgraded to ")
    assert path.exists()


@LOCAL_FILES
def test_upgrade_does_not_start_when_the_backup_fails(source: str, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "before-upgrade.backup"
    result = run_trackstore("db", "upgrade", source, "--backup-to", str(path))
    assert result.returncode == 1
    assert "does not exist or is not writable" in result.stderr
    assert "upgraded to" not in result.stdout
    with _engine(source) as engine, engine.connect() as connection:
        assert runner.current_revision(connection) == OLD_REVISION


@contextmanager
def _engine(uri: str) -> Iterator[Engine]:
    engine = make_engine(uri)
    try:
        yield engine
    finally:
        engine.dispose()


def _add_table(uri: str, name: str) -> None:
    with _engine(uri) as engine, engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)"))


def _snapshot(uri: str) -> Snapshot:
    with _engine(uri) as engine:
        return snapshot(engine)
