"""Nothing changes a database before the guard accepts it: read-only commands and a refused
server leave its bytes and journal mode as they were; trackstore's own databases get WAL."""

import hashlib
import sqlite3
from pathlib import Path

import pytest

from compat import make_engine
from migrations import runner
from tests.cli import run_trackstore
from tests.live_server import OLD_REVISION, free_port

READ_ONLY_COMMANDS = [
    ("db", "current"),
    ("db", "check"),
    ("db", "upgrade", "--dry-run"),
    ("server", "--port", "{port}", "--backend-store-uri"),
    ("gc", "--backend-store-uri"),
]


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        mode: str = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    return mode


@pytest.fixture
def left_by_mlflow(tmp_path: Path) -> Path:
    """A database at an old revision in SQLite's default journal mode, as MLflow leaves one."""
    path = tmp_path / "mlflow.db"
    engine = make_engine(f"sqlite:///{path}")
    runner.upgrade(engine, OLD_REVISION)
    engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    return path


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS)
def test_command_leaves_the_file_as_it_was(left_by_mlflow: Path, command: tuple[str, ...]) -> None:
    before = hashlib.sha256(left_by_mlflow.read_bytes()).hexdigest()
    files = sorted(left_by_mlflow.parent.iterdir())
    args = [part.format(port=free_port()) for part in command]
    result = run_trackstore(*args, f"sqlite:///{left_by_mlflow}")
    if command[0] in ("server", "gc"):
        assert result.returncode == 1 and f"is at revision {OLD_REVISION}" in result.stderr
    else:
        assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(left_by_mlflow.read_bytes()).hexdigest() == before
    assert journal_mode(left_by_mlflow) == "delete"
    assert sorted(left_by_mlflow.parent.iterdir()) == files


def test_upgrade_of_an_existing_database_keeps_its_journal_mode(left_by_mlflow: Path) -> None:
    assert run_trackstore("db", "upgrade", f"sqlite:///{left_by_mlflow}").returncode == 0
    assert journal_mode(left_by_mlflow) == "delete"


@pytest.mark.parametrize(("setting", "expected"), [(None, "wal"), ("delete", "delete")])
def test_a_new_database_gets_the_chosen_journal_mode(
    tmp_path: Path, setting: str | None, expected: str
) -> None:
    env = {} if setting is None else {"TRACKSTORE_SQLITE_JOURNAL_MODE": setting}
    result = run_trackstore("db", "upgrade", f"sqlite:///{tmp_path / 'new.db'}", env=env)
    assert result.returncode == 0, result.stderr
    assert journal_mode(tmp_path / "new.db") == expected


def test_an_unknown_journal_mode_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    env = {"TRACKSTORE_SQLITE_JOURNAL_MODE": "fast"}
    result = run_trackstore("db", "upgrade", f"sqlite:///{tmp_path / 'new.db'}", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: TRACKSTORE_SQLITE_JOURNAL_MODE is 'fast', not a SQLite journal mode; set it to "
        "one of WAL, DELETE, TRUNCATE, PERSIST, MEMORY, OFF, or unset it for WAL."
    )
    assert list(tmp_path.iterdir()) == []
