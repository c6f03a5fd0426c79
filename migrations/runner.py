"""Upgrading, downgrading, stamping and reading the revision of a database.

Every function takes an Engine made by `compat.make_engine`; dialect differences are asked of
`compat`, never decided here by name.
"""

import functools
import io
import os
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from compat import TrackstoreError, dialect_for, mask_url
from migrations import base_schema, lossy, releases

# The chain's reading side lives in migrations.chain (no Alembic); runner is where callers
# find it beside the upgrade.
from migrations.chain import VERSION_TABLE as VERSION_TABLE
from migrations.chain import ServedSchema as ServedSchema
from migrations.chain import chain as chain
from migrations.chain import current_revision as current_revision
from migrations.chain import head_revision as head_revision
from migrations.lock import migration_lock
from migrations.progress import Progress

SCRIPT_LOCATION = Path(__file__).resolve().parent


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


def head_release() -> str:
    """The MLflow releases whose head is this chain's head, as prose ("" when none is)."""
    return in_releases(head_revision()) or ""


def history() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(script_directory().walk_revisions())))


def in_releases(revision: str) -> str | None:
    """Which MLflow releases `revision` belongs to, in words; None when no known release has it."""
    return releases.describe(revision, chain())


def _head_in_words() -> str:
    """This chain's head and the releases it is the head of, for sentences about its limits."""
    head = head_revision()
    note = in_releases(head)
    return head if note is None else f"{head}, {note}"


def known_revision(revision: str) -> bool:
    """True for the full id of a revision in the chain (not a prefix, not a symbol: Alembic's
    parser raises on some, such as '@', with no message)."""
    return revision in chain()


def unknown_revision(where: str, revision: str) -> TrackstoreError:
    """The refusal for a database at a revision this chain does not hold."""
    return TrackstoreError(
        f"{where} is at revision {revision}, which this trackstore does not know: "
        f"{_newer_origin(revision)} (this trackstore knows revisions up to {_head_in_words()}); "
        "keep using that MLflow with it, or restore a backup taken at a revision this "
        "trackstore knows."
    )


def _newer_origin(revision: str) -> str:
    """Who most likely wrote a revision this chain does not hold."""
    headed = releases.headed_by(revision)
    if headed:
        return f"a newer MLflow wrote it, as it is the head of {releases.spans(headed)}"
    return "it was likely written by a newer MLflow"


def require_known(where: str, revision: str | None) -> None:
    """Refuse a recorded `revision` that is not in the chain (None, nothing recorded, passes)."""
    if revision is not None and not known_revision(revision):
        raise unknown_revision(where, revision)


def _position(revision: str | None) -> int:
    """Where `revision` stands in the chain: -1 for base (or nothing), 0 for the first one."""
    if revision in (None, "base"):
        return -1
    return chain().index(_revision_id(str(revision)))


def is_beyond(revision: str | None, target: str) -> bool:
    """Whether the chain reaches `revision` only after `target` ("head" or an id)."""
    return _position(revision) > _position(target)


def is_empty(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


def upgrade(
    engine: Engine,
    revision: str | None = None,
    progress: Progress | None = None,
    fresh: ServedSchema | None = None,
    lock_wait: float | None = None,
    before_change: Callable[[], None] | None = None,
) -> None:
    """Bring the database to `revision`, under the migration lock (see `migrations.lock`).

    No `revision` means the one `fresh` serves (head without it), and then a database already
    beyond it is left as it is. An empty database gets the base tables first and then walks the
    chain; when the target is the revision `fresh` serves, it is instead created by `fresh` and
    stamped, in one transaction. The database is read under the lock, so a process that waited
    finds the winner's work and does nothing. `before_change` (a backup) runs there too, only
    when existing data changes.
    """
    target = _resolve(revision or (fresh.revision if fresh is not None else "head"))
    with migration_lock(engine, lock_wait, progress) as connection:
        connection = dialect_for(engine.dialect.name).for_migrations(connection)
        empty, current = is_empty(connection), current_revision(connection)
        where = mask_url(engine.url)
        require_known(where, current)
        if current is None and not empty:
            _refuse_foreign_tables(connection, where)
        connection.commit()
        if empty and fresh is not None and _revision_id(target) == fresh.revision:
            _create_fresh(connection, fresh, progress)
            return
        if current is not None and current == _revision_id(target):
            _say(progress, f"the database is already at {current}; nothing to do")
            return
        if revision is None and is_beyond(current, target):
            _say(
                progress,
                f"the database is at {current}, beyond {target}, the revision this trackstore "
                "serves; nothing to do",
            )
            return
        if _position(target) < _position(current):
            raise TrackstoreError(
                f"{where} is at revision {current}, above {_revision_id(target)}; `db upgrade` "
                f"only goes up, so run `trackstore db downgrade {where} {target}` to go down."
            )
        if empty:
            with connection.begin():
                base_schema.metadata.create_all(connection)
            _keep_settings(engine)
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
        current = current_revision(connection)
        connection.commit()
        _check_downgrade(mask_url(engine.url), current, target)
        if current == _revision_id(target):
            _say(progress, f"the database is already at {current}; nothing to do")
            return
        lossy.preflight(connection, script_directory(), target)
        _run(connection, "downgrade", target, progress)


def _check_downgrade(where: str, current: str | None, target: str) -> None:
    """Refuse a downgrade from an unknown or missing revision, or to one above `current`."""
    require_known(where, current)
    if current is None:
        raise TrackstoreError(
            f"{where} records no revision, so there is nothing to downgrade; check the URI "
            "with `trackstore db current`."
        )
    if _position(target) > _position(current):
        raise TrackstoreError(
            f"{where} is at revision {current}, below {_revision_id(target)}; `db downgrade` "
            f"only goes down, so run `trackstore db upgrade {where} --revision {target}` to go up."
        )


def _refuse_foreign_tables(connection: Connection, where: str) -> None:
    """Refuse a database with tables that records no revision and lacks MLflow's base tables:
    the chain would fail part-way on it (it most likely belongs to another application)."""
    present = set(inspect(connection).get_table_names())
    missing = sorted(set(base_schema.metadata.tables) - present)
    if missing:
        shown = ", ".join(sorted(present)[:5]) + (", ..." if len(present) > 5 else "")
        raise TrackstoreError(
            f"{where} holds tables ({shown}) but not MLflow's {', '.join(missing)} and records "
            "no revision, so it is not an MLflow database; give the URI of an MLflow database "
            "or of an empty one."
        )


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


def _create_fresh(connection: Connection, fresh: ServedSchema, progress: Progress | None) -> None:
    with connection.begin():
        fresh.create(connection)
        MigrationContext.configure(connection).stamp(script_directory(), fresh.revision)
    _keep_settings(connection.engine)
    if progress is not None:
        progress(f"created the schema at {fresh.revision}")


def _keep_settings(engine: Engine) -> None:
    """A database this run created gets the settings trackstore serves databases with."""
    dialect_for(engine.dialect.name).keep_settings(engine, os.environ)


def _run(connection: Connection, verb: str, target: str, progress: Progress | None) -> None:
    """Walk the chain to `target`: where DDL is transactional, in one transaction, so that a
    failure or a kill leaves the database where it was and the walk pays one commit (on
    SQLite, one write of the tables it copies) rather than one per revision; elsewhere (MySQL)
    a commit per revision, each revision re-runnable from any point."""
    dialect = dialect_for(connection.dialect.name)
    config = alembic_config(
        connection=connection,
        progress=progress,
        render_as_batch=dialect.alters_by_copying_table,
        one_transaction=dialect.transactional_ddl,
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
    """`revision` checked against the chain ("head", "base", full ids and MLflow release names
    such as mlflow-3.1.4, which mean that release's head, are accepted)."""
    if revision and releases.is_release_name(revision):
        return _release_target(revision)
    if revision in ("head", "base") or (revision and known_revision(revision)):
        return str(revision)
    headed = releases.headed_by(str(revision))
    if headed:
        raise TrackstoreError(
            f"'{revision}' is not a revision trackstore knows: it is the head of "
            f"{releases.spans(headed)}, and this trackstore's chain ends at {_head_in_words()}; "
            f"name {head_revision()} or an older revision."
        )
    raise TrackstoreError(
        f"'{revision}' is not a revision trackstore knows; give a full revision id from "
        f"`trackstore db history`, head, or an MLflow release as {releases.PREFIX}X.Y.Z."
    )


def _release_target(name: str) -> str:
    """The head revision of the release `name`, when this chain holds it."""
    head = releases.release_head(name)
    if known_revision(head):
        return head
    newest = releases.newest_within(chain())
    advice = "" if newest is None else f"; name {releases.name_of(newest)} or an older release"
    raise TrackstoreError(
        f"{name} ends at revision {head}, which this trackstore does not know: its chain ends "
        f"at {_head_in_words()}{advice}."
    )
