"""Taking a backup, and restoring one only after every check that could refuse it has passed.

The tools themselves live in `compat.backups`; this module adds what needs the revision chain
(is the backup's revision one we know?) and the migration lock (no upgrade runs meanwhile).
"""

import time
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from compat import TrackstoreError, mask_url
from compat.backups import backup_database, tool_for
from migrations import runner
from migrations.lock import migration_lock
from migrations.progress import Progress


def take_backup(engine: Engine, path: Path, progress: Progress | None = None) -> None:
    """Back the database up to the new file `path`."""
    started = time.perf_counter()
    backup_database(engine, path, progress)
    if progress is not None:
        seconds = time.perf_counter() - started
        progress(f"backed up {mask_url(engine.url)} to {path} in {seconds:.1f} s")


def restore_backup(
    path: Path,
    engine: Engine,
    force: bool = False,
    progress: Progress | None = None,
    lock_wait: float | None = None,
) -> None:
    """Replace the database by the backup at `path`; refuses a non-empty one unless `force`."""
    tool = tool_for(engine)
    revision = tool.recorded_revision(engine, path)
    if revision is not None and not runner.known_revision(revision):
        raise TrackstoreError(
            f"{path} was taken at revision '{revision}', which this trackstore does not know; "
            "restore it with the trackstore version that took it."
        )
    with migration_lock(engine, lock_wait, progress):
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
        if tables and not force:
            raise TrackstoreError(
                f"{mask_url(engine.url)} is not empty ({len(tables)} tables); restore into an "
                "empty database, or add --force to replace what is there."
            )
        tool.restore(engine, path, tables)
    if progress is not None:
        at = f" at revision {revision}" if revision else ""
        progress(f"restored {path}{at} into {mask_url(engine.url)}")
