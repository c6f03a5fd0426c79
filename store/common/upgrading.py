"""Upgrading a database the store will serve: the chain (or the fresh road), then the check.

`db upgrade`, `server --upgrade` and the container's entrypoint all end the same way: a
revision that recorded itself without doing its work is caught before anyone serves the
database, not by the first request that touches the table it left wrong.
"""

from collections.abc import Callable

from sqlalchemy.engine import Engine

from migrations import runner, verify
from migrations.progress import Progress
from store.served import SERVED


def upgrade_and_verify(
    engine: Engine,
    revision: str | None,
    progress: Progress,
    lock_wait: float | None = None,
    before_change: Callable[[], None] | None = None,
) -> None:
    """Bring the database to `revision` (None: the one the store serves; the store's models
    make an empty one in one go), then fail, naming the drift, unless the live schema is what
    the revision says."""
    runner.upgrade(
        engine,
        revision,
        progress=progress,
        fresh=SERVED,
        lock_wait=lock_wait,
        before_change=before_change,
    )
    verify.verify(engine, SERVED, progress=progress)
