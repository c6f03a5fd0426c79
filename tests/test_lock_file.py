"""The SQLite migration lock's side file exists only while the lock is held, and what a server
leaves beside itself is covered by .gitignore, so a checkout stays clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from compat.dialects.sqlite import lock_side_file, migration_lock_file
from tests.cli import run_trackstore
from tests.live_server import free_port, start

ROOT = Path(__file__).resolve().parents[1]


def test_side_file_exists_only_while_held(tmp_path: Path) -> None:
    path = tmp_path / "store.db.migration-lock"
    first = lock_side_file(path)
    assert first is not None and path.exists()
    assert lock_side_file(path) is None
    Path(first.name).unlink()  # what release does, then closes
    waiting = open(path, "a")  # noqa: SIM115 - a waiter that opened the file before
    second = lock_side_file(path)  # a newcomer gets a new file while the old one is held
    assert second is not None
    first.close()
    waiting.close()
    second.close()


def test_upgrade_leaves_no_lock_file(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_trackstore("db", "upgrade", uri, "--revision", "f5a4f2784254").returncode == 0
    assert run_trackstore("db", "upgrade", uri).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.db"]
    assert migration_lock_file(make_url(uri)) == tmp_path / "store.db.migration-lock"


def test_what_a_server_leaves_is_ignored_by_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    port = free_port()
    command = [
        sys.executable, "-m", "store.cli", "server", "--backend-store-uri",
        "sqlite:///mlruns.db", "--port", str(port), "--workers", "2",
    ]  # fmt: skip
    server = start(command, port, tmp_path.parent / f"{tmp_path.name}.log")
    server.stop()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "mlruns.db" in left and "mlruns.db.migration-lock" not in left
    checkout = tmp_path.parent / f"{tmp_path.name}-checkout"  # the repository's .gitignore
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    shutil.copy(ROOT / ".gitignore", checkout / ".gitignore")
    for name in left:
        ignored = subprocess.run(["git", "-C", str(checkout), "check-ignore", "-q", name])
        assert ignored.returncode == 0, f"{name} would show in git status"
