"""Bad input at the command line: one sentence, a non-zero exit, nothing created or changed."""

import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from store.cli import main
from tests.cli import run_trackstore
from tests.compat.test_bad_locations import as_nobody


@pytest.mark.parametrize(
    "command",
    [("db", "current"), ("db", "check"), ("db", "upgrade", "--dry-run"), ("db", "stamp")],
)
def test_read_only_commands_create_no_file(tmp_path: Path, command: tuple[str, ...]) -> None:
    missing = tmp_path / "misspeled.db"
    extra = ("head",) if command[-1] == "stamp" else ()
    result = run_trackstore(*command, f"sqlite:///{missing}", *extra)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {missing} does not exist, and this command creates nothing; check the path, "
        f"or create a new database there with `trackstore db upgrade sqlite:///{missing}`."
    )
    assert list(tmp_path.iterdir()) == []


def test_upgrade_creates_no_folders(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "x.db"
    result = run_trackstore("db", "upgrade", f"sqlite:///{target}")
    assert result.returncode == 1
    assert f"The folder {target.parent} does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_upgrade_creates_a_new_database_in_an_existing_folder(tmp_path: Path) -> None:
    result = run_trackstore("db", "upgrade", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    ("uri", "env", "expected"),
    [
        ("postgresql://u:pw@h:abc/db", {}, "The port in 'postgresql://u:***@h:abc/db'"),
        ("postgresql://u@[::1/db", {}, "opens an IPv6 bracket it does not close"),
        ("mysql+pymysql://root@127.0.0.1/x?charset=klingon", {}, "character set 'klingon'"),
        ("sqlite://", {"TRACKSTORE_DB_WAIT_SECONDS": "soon"}, "TRACKSTORE_DB_WAIT_SECONDS is"),
    ],
)
def test_unusable_settings_are_one_sentence(uri: str, env: dict[str, str], expected: str) -> None:
    result = run_trackstore("db", "upgrade", uri, env=env)
    assert result.returncode == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_backup_to_a_path_that_cannot_be_opened(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_trackstore("db", "upgrade", source).returncode == 0
    target = tmp_path / ("x" * 300) / "backup.db"
    result = run_trackstore("db", "backup", source, "--to", str(target))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "File name too long" in result.stderr


def test_backup_into_a_folder_the_user_may_not_read() -> None:
    """As nobody (tests run as root): the database is readable, the backup's folder is not."""
    folder = Path(tempfile.mkdtemp(prefix="trackstore-test-"))
    try:
        folder.chmod(0o755)
        source = f"sqlite:///{folder / 'store.db'}"
        assert run_trackstore("db", "upgrade", source).returncode == 0
        (folder / "store.db").chmod(0o644)
        (folder / "private").mkdir(mode=0o700)
        with as_nobody():
            result = CliRunner().invoke(
                main, ["db", "backup", source, "--to", str(folder / "private" / "backup.db")]
            )
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"error: Cannot look at {folder / 'private' / 'backup.db'} (Permission denied); "
            "choose a path in a folder you may read and write."
        )
    finally:
        shutil.rmtree(folder)
