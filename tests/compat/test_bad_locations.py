"""Bad input met before any connection: one sentence, and nothing created or changed."""

import grp
import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from compat import TrackstoreError, make_engine


def refusal(uri: str, **options: object) -> str:
    with pytest.raises(TrackstoreError) as refused:
        make_engine(uri, **options)  # type: ignore[arg-type]
    return str(refused.value)


def test_wait_seconds_that_is_not_a_number() -> None:
    message = refusal("sqlite://", env={"TRACKSTORE_DB_WAIT_SECONDS": "soon"})
    assert message.startswith("TRACKSTORE_DB_WAIT_SECONDS is 'soon', not a number of seconds")


def test_unknown_mysql_charset() -> None:
    message = refusal("mysql+pymysql://root@127.0.0.1:1/db?charset=klingon", wait_seconds=0)
    assert "character set 'klingon'" in message and "utf8mb4" in message


def test_missing_unixodbc_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyodbc fails to import without unixODBC's library; here the import is made to fail."""
    monkeypatch.setitem(sys.modules, "pyodbc", None)
    for uri in ("mssql+pyodbc://sa:pw@127.0.0.1/db", "mssql+pyodbc://sa@h/db?driver=FreeTDS"):
        message = refusal(uri, wait_seconds=0)
        assert "install unixODBC" in message and "unixodbc tdsodbc" in message
        assert "pw" not in message


def test_text_file_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    message = refusal(f"sqlite:///{notes}")
    assert message.startswith(f"{notes} is not a SQLite database")
    assert "server is running" not in message
    assert notes.read_text() == "shopping list\n"


def test_folder_is_not_a_database(tmp_path: Path) -> None:
    assert "is a folder or special file" in refusal(f"sqlite:///{tmp_path}")


def test_missing_file_is_not_created_when_create_is_off(tmp_path: Path) -> None:
    missing = tmp_path / "misspeled.db"
    message = refusal(f"sqlite:///{missing}", create=False)
    assert message.startswith(f"{missing} does not exist")
    assert not missing.exists()


def test_missing_folder_is_never_created(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "x.db"
    message = refusal(f"sqlite:///{target}")
    assert f"The folder {target.parent} does not exist" in message
    assert not (tmp_path / "no").exists()


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A temporary folder any user may enter (pytest's own are the owner's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="trackstore-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for inner in folder.iterdir():
            inner.chmod(0o755)
        shutil.rmtree(folder)


@contextmanager
def as_nobody() -> Iterator[None]:
    """This process's effective user is nobody for a while (tests run as root, whom no file
    refuses). In-process, because the test environment's own folder may be root's alone."""
    if os.geteuid() != 0:
        yield
        return
    make_engine("sqlite://").dispose()  # SQLAlchemy's SQLite modules are imported as root
    os.setegid(grp.getgrnam("nogroup").gr_gid)
    os.seteuid(pwd.getpwnam("nobody").pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def make_engine_as_nobody(uri: str) -> str:
    with as_nobody():
        return refusal(uri, wait_seconds=0)


def test_unreadable_file_says_permission(open_folder: Path) -> None:
    private = open_folder / "private"
    private.mkdir(mode=0o700)
    (private / "store.db").write_bytes(b"SQLite format 3\x00")
    message = make_engine_as_nobody(f"sqlite:///{private / 'store.db'}")
    assert message.startswith(f"trackstore may not read {private / 'store.db'}")


def test_a_file_sqlite_cannot_create_gets_file_advice(open_folder: Path) -> None:
    locked = open_folder / "read-only"
    locked.mkdir(mode=0o555)
    message = make_engine_as_nobody(f"sqlite:///{locked / 'new.db'}")
    assert "unable to open database file" in message
    assert "may be read and written by this user" in message
    assert "server is running" not in message
