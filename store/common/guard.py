"""The schema guard: a store serves a database only at the revision its models describe.

The chain in migrations/ may reach further (`db upgrade --revision head`); a database there is
named as ahead of this trackstore, not as unknown.

On the happy path it costs one query (reading alembic_version). Every refusal is one sentence
naming what was found and what to do, raised as TrackstoreError, with the database untouched.
"""

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from compat import TrackstoreError, dialect_for, mask_url
from migrations import chain, runner
from migrations.progress import Progress
from store import models

READ_REVISION = text(f"SELECT version_num FROM {chain.VERSION_TABLE}")


def ensure_servable(
    engine: Engine, create_if_empty: bool | None = None, progress: Progress | None = None
) -> None:
    """Return when `engine`'s database is at the served revision; otherwise refuse, or create
    an empty one.

    `create_if_empty` None leaves it to the database (see `create_schema_when_empty`: yes for
    SQLite, no for servers, whose empty database is more often a wrong URI than a new store).
    """
    with engine.connect() as connection:
        revisions = _recorded_revisions(connection)
        if revisions == [models.SERVED.revision]:
            return
        empty = not revisions and runner.is_empty(connection)
    where = mask_url(engine.url)
    if empty:
        _create_or_refuse(engine, where, create_if_empty, progress)
    elif not revisions:
        raise TrackstoreError(
            f"{where} has tables but records no revision, so trackstore cannot tell which "
            "schema it holds; find the revision it was created at, record it with "
            f"`trackstore db stamp {where} REV`, then verify it with `trackstore db check`."
        )
    else:
        raise TrackstoreError(_wrong_revision(where, revisions))


def _recorded_revisions(connection: Connection) -> list[str]:
    """The revisions alembic_version holds; none when the table is missing or empty."""
    try:
        return [str(row[0]) for row in connection.execute(READ_REVISION)]
    except DBAPIError:
        connection.rollback()
        return []


def _create_or_refuse(
    engine: Engine, where: str, create_if_empty: bool | None, progress: Progress | None
) -> None:
    if create_if_empty is None:
        create_if_empty = dialect_for(engine.dialect.name).create_schema_when_empty
    if not create_if_empty:
        raise TrackstoreError(
            f"{where} is empty; if it is the right database, create the schema with "
            f"`trackstore db upgrade {where}`."
        )
    runner.upgrade(engine, progress=progress, fresh=models.SERVED)


def _wrong_revision(where: str, revisions: list[str]) -> str:
    served = models.SERVED.revision
    order = chain.chain()
    if len(revisions) == 1 and revisions[0] in order:
        found = revisions[0]
        if runner.is_beyond(found, served):
            return _ahead(where, found)
        behind = order.index(served) - order.index(found)
        plural = "revision" if behind == 1 else "revisions"
        note = runner.in_releases(found)
        matches = "" if note is None else f" ({note})"
        return (
            f"{where} is at revision {found}{matches}, {behind} {plural} behind the revision "
            f"this trackstore serves, {served}; back it up, then run "
            f"`trackstore db upgrade {where}`."
        )
    if len(revisions) == 1:
        return str(runner.unknown_revision(where, revisions[0]))
    return str(chain.several_revisions(where, revisions))


def _ahead(where: str, found: str) -> str:
    """The refusal for a database the chain knows but the store does not serve yet."""
    served, head, release = models.SERVED.revision, runner.head_revision(), runner.head_release()
    note = runner.in_releases(found)
    return (
        f"{where} is at revision {found}{f' ({note})' if note else ''}, ahead: this "
        f"trackstore's store serves {served}; the chain reaches {head}"
        f"{f' ({release})' if release else ''}; serve it with the MLflow release that upgraded "
        f"it, or restore a backup taken at {served}."
    )
