"""Telling the database, before a transaction's first statement, that it is going to write.

SQLite begins a transaction as a reader unless told otherwise. A reader that later writes must
upgrade its lock; in WAL mode, if another connection committed since the reader's first read,
the upgrade fails at once with "database is locked" and no busy timeout helps, because waiting
cannot make the reader's snapshot current again. A transaction begun as a writer (BEGIN
IMMEDIATE) waits for the write lock up front instead, while others' reads go on.

The store enters `writing()` around every transaction that may write; the dialect's `begin`
hook asks `is_writing()` (see the `begin_writer_sql` flag). A wait for the lock that outlasts
the busy timeout ends in `DatabaseBusy`, which the server answers with 503 so clients retry.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from compat.errors import TrackstoreError

_WRITING: ContextVar[bool] = ContextVar("trackstore_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside this block (in this thread or task) begin as writers."""
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def is_writing() -> bool:
    return _WRITING.get()


class DatabaseBusy(TrackstoreError):
    """Other writers held the database for longer than this one would wait."""

    def __init__(self) -> None:
        super().__init__(
            "The database stayed locked by other writers for longer than the busy timeout "
            "(or chose this request to break a deadlock); "
            "send the request again, and if this keeps happening use fewer concurrent writers "
            "or a database server."
        )
