"""What is wrong with a SQLite path, said before SQLite opens it (and perhaps creates it)."""

from pathlib import Path

from compat.errors import TrackstoreError

# The first 16 bytes of every SQLite database file; an empty file is a database not yet written.
SQLITE_HEADER = b"SQLite format 3\x00"


def check_database_file(database: str, may_create: bool) -> None:
    """Refuse a path that is not a SQLite database, or is missing when `may_create` is False.

    A missing file in a missing folder is always refused: a mistyped folder must not appear.
    """
    path = Path(database).expanduser()
    try:
        if not path.exists():
            _check_missing(path, may_create)
            return
        if not path.is_file():
            raise TrackstoreError(
                f"{path} is a folder or special file, not a SQLite database file; give the "
                "path of the database file itself."
            )
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except PermissionError:
        raise TrackstoreError(
            f"trackstore may not read {path} (permission denied); run it as a user who may "
            "read the file and its folder, or change their permissions."
        ) from None
    except OSError as exc:
        raise TrackstoreError(f"Cannot open {path} ({exc.strerror}); check the path.") from None
    if header and header != SQLITE_HEADER:
        raise TrackstoreError(
            f"{path} is not a SQLite database (it does not begin with SQLite's header); check "
            "the path, or give a new file name for a new database."
        )


def _check_missing(path: Path, may_create: bool) -> None:
    if not may_create:
        raise TrackstoreError(
            f"{path} does not exist, and this command creates nothing; check the path, or "
            f"create a new database there with `trackstore db upgrade sqlite:///{path}`."
        )
    if not path.parent.is_dir():
        raise TrackstoreError(
            f"The folder {path.parent} does not exist, so no database can be created at "
            f"{path}; check the path, or create the folder first."
        )
