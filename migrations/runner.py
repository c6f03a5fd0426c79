"""Upgrading, downgrading, stamping and reading the revision of a database.

Every function takes an Engine made by `compat.make_engine`; dialect differences are asked of
`compat`, never decided here by name.
"""

import functools
import io
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from compat import TrackstoreError, dialect_for, mask_url
from migrations import base_schema, lossy
from migrations.lock import migration_lock
from migrations.progress import Progress

SCRIPT_LOCATION = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"

FreshCreate = Callable[[Connection], None]


def alembic_config(**attributes: object) -> Config:
    """An Alembic Config pointing at this script directory, carrying `attributes` to env.py."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes.update(attributes)
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The revision scripts, read once per process (reading them is most of a fresh create)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "the revision chain has no head"
    return head


def history() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(script_directory().walk_revisions())))


def known_revision(revision: str) -> bool:
    try:
        return script_directory().get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, or None when nothing is recorded."""
    return MigrationContext.configure(connection).get_current_revision()


def is_empty(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


def upgrade(
    engine: Engine,
    revision: str = "head",
    progress: Progress | None = None,
    fresh: FreshCreate | None = None,
    lock_wait: float | None = None,
    before_change: Callable[[], None] | None = None,
) -> None:
    """Bring the database to `revision`, under the migration lock (see `migrations.lock`).

    An empty database gets the base tables first and then walks the chain; when the target is
    head and `fresh` is given, it is instead created by `fresh` and stamped, in one transaction.
    The database is read under the lock, so a process that waited finds the winner's work and
    does nothing. `before_change` (a backup) runs there too, only when existing data changes.
    """
    target = _resolve(revision)
    with migration_lock(engine, lock_wait, progress) as connection:
        connection = dialect_for(engine.dialect.name).for_migrations(connection)
        empty, current = is_empty(connection), current_revision(connection)
        connection.commit()
        if empty and fresh is not None and target in ("head", head_revision()):
            _create_fresh(connection, fresh, progress)
            return
        if current is not None and current == _revision_id(target):
            _say(progress, f"the database is already at {current}; nothing to do")
            return
        if empty:
            with connection.begin():
                base_schema.metadata.create_all(connection)
        elif before_change is not None:
            before_change()
        _run(connection, "upgrade", target, progress)


def downgrade(
    engine: Engine, revision: str, progress: Progress | None = None, lock_wait: float | None = None
) -> None:
    """Bring the database down to `revision` under the migration lock (refusing lossy steps)."""
    target = _resolve(revision)
    with migration_lock(engine, lock_wait, progress) as connection:
        connection = dialect_for(engine.dialect.name).for_migrations(connection)
        lossy.preflight(connection, script_directory(), target)
        _run(connection, "downgrade", target, progress)


def stamp(
    engine: Engine, revision: str, progress: Progress | None = None, lock_wait: float | None = None
) -> None:
    """Record `revision` as the database's revision without changing its schema.

    For a database whose tables are known to be at `revision` but whose record is missing or
    wrong; whatever alembic_version held before is replaced. An empty database is refused: a
    record without the tables would make every later upgrade fail.
    """
    target = _resolve(revision)
    with migration_lock(engine, lock_wait, progress) as connection:
        if is_empty(connection):
            raise TrackstoreError(
                f"{mask_url(engine.url)} is empty, so there is nothing to stamp; "
                "run `trackstore db upgrade` to create the schema instead."
            )
        has_version_table = inspect(connection).has_table(VERSION_TABLE)
        connection.commit()
        with connection.begin():
            if has_version_table:
                connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))
            MigrationContext.configure(connection).stamp(script_directory(), target)
    _say(progress, f"recorded revision {_revision_id(target)}; the schema was not changed")


def offline_sql(dialect: str, start: str | None, end: str = "head") -> str:
    """The SQL that upgrades a `dialect` database from `start` (None: empty) to `end`."""
    buffer = io.StringIO()
    config = alembic_config(
        dialect=dialect,
        include_base=start is None,
        render_as_batch=dialect_for(dialect).alters_by_copying_table,
    )
    config.output_buffer = buffer
    span = f"{_resolve(start)}:{_resolve(end)}" if start else _resolve(end)
    command.upgrade(config, span, sql=True)
    return buffer.getvalue()


def _create_fresh(connection: Connection, fresh: FreshCreate, progress: Progress | None) -> None:
    with connection.begin():
        fresh(connection)
        MigrationContext.configure(connection).stamp(script_directory(), "head")
    if progress is not None:
        progress(f"created the schema at {head_revision()}")


def _run(connection: Connection, verb: str, target: str, progress: Progress | None) -> None:
    config = alembic_config(
        connection=connection,
        progress=progress,
        render_as_batch=dialect_for(connection.dialect.name).alters_by_copying_table,
    )
    getattr(command, verb)(config, target)
    connection.commit()


def revision_id(revision: str) -> str:
    """The full id that `revision` ("head" or an id) names; an error when it is unknown."""
    return _revision_id(_resolve(revision))


def _revision_id(target: str) -> str:
    return head_revision() if target == "head" else target


def _say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _resolve(revision: str | None) -> str:
    """`revision` checked against the chain ("head", "base" and full ids are accepted)."""
    if revision in ("head", "base") or (revision and known_revision(revision)):
        return str(revision)
    raise TrackstoreError(
        f"'{revision}' is not a revision trackstore knows; run `trackstore db history` to see them."
    )
