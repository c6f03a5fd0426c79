"""What every backup tool offers, and the file handling they share."""

import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from compat.errors import TrackstoreError
from compat.urls import mask_text


class BackupTool(ABC):
    """Backs up and restores one kind of database."""

    # The backup file lives on this machine (False: on the database server, as SQL Server's).
    local_file = True

    @abstractmethod
    def check_client(self, engine: Engine) -> None:
        """Raise TrackstoreError, in one sentence, when this machine's backup client cannot
        back up `engine`'s server (missing, too old, another product's)."""

    @abstractmethod
    def backup(self, engine: Engine, path: Path) -> None:
        """Write the whole database of `engine` to `path`."""

    @abstractmethod
    def recorded_revision(self, engine: Engine, path: Path) -> str | None:
        """The revision the backup at `path` was taken at; None when the format cannot tell
        before restoring. Raises TrackstoreError when `path` is not such a backup."""

    @abstractmethod
    def restore(self, engine: Engine, path: Path, existing_tables: Sequence[str]) -> None:
        """Replace the database of `engine` by the backup at `path`, dropping `existing_tables`
        first where the tool does not replace the whole database itself."""


def check_new_file(path: Path) -> None:
    """Refuse a backup path that exists or whose folder cannot be written, before any work."""
    try:
        exists = path.exists()
    except OSError as exc:
        raise TrackstoreError(
            f"Cannot look at {path} ({exc.strerror}); choose a path in a folder you may read "
            "and write."
        ) from None
    if exists:
        raise TrackstoreError(
            f"{path} already exists; give a new file name, a backup is never overwritten."
        )
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise TrackstoreError(
            f"Cannot write {path}: its folder {folder} does not exist or is not writable; "
            "create it or choose another path."
        )


@contextmanager
def write_atomically(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` that becomes `path` only if the body succeeds."""
    check_new_file(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def readable_file(path: Path) -> Path:
    if not path.is_file() or not os.access(path, os.R_OK):
        raise TrackstoreError(f"{path} is not a readable file; give the path of a backup.")
    return path


def not_a_backup(path: Path, kind: str) -> TrackstoreError:
    return TrackstoreError(
        f"{path} is not a {kind} backup taken by trackstore; give the file that "
        "`trackstore db backup` wrote for this kind of database."
    )


def find_program(*names: str, package: str) -> str:
    """The first of `names` on PATH, or an error naming the package that provides it."""
    for name in names:
        if found := shutil.which(name):
            return found
    raise TrackstoreError(f"{' or '.join(names)} is not installed here; install {package}.")


def run_tool(
    argv: Sequence[str], url: URL, env: Mapping[str, str], outcome: str
) -> subprocess.CompletedProcess[bytes]:
    """Run a database tool; a failure becomes one sentence, without the password, that ends
    with `outcome` (what the failure left behind)."""
    result = subprocess.run(
        list(argv),
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise tool_failure(argv[0], result.stderr, url, outcome)
    return result


def tool_failure(program: str, stderr: bytes, url: URL, outcome: str) -> TrackstoreError:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    reason = mask_text(lines[0] if lines else "no message", url)
    return TrackstoreError(
        f"{Path(program).name} failed ({reason}); {outcome}, fix the cause and run again."
    )
