"""What every store shares: an Engine, and sessions that commit or roll back as one unit."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from compat import Dialect, dialect_for
from compat.transactions import DatabaseBusy, writing
from store.common.errors import StoreError

# As long as a writer waits for the database's own lock (compat.dialects.sqlite).
WRITER_TURN_TIMEOUT_SECONDS = 30.0


# Per Engine: the turn of this process's writers (see `SqlStore.session`).
_WRITER_TURNS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_TURNS_LOCK = threading.Lock()


class SqlStore:
    """Base of the tracking, registry, logged-model and trace stores."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_for(engine.dialect.name)
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer_turn: threading.RLock | None = None
        if self.dialect.one_writer_at_a_time:
            with _TURNS_LOCK:
                self._writer_turn = _WRITER_TURNS.setdefault(engine, threading.RLock())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that may write, committed on success and rolled back on any error.

        It begins as a writer (see `compat.transactions`), so that on SQLite it waits for
        other writers rather than failing when it first writes. Where one writer at a time
        may write, the threads of this process wait their turn on a lock first, in order:
        only one of them at a time polls the database's lock against other processes.
        """
        with self._turn(), writing(), self._transaction() as session:
            yield session

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._writer_turn is None:
            yield
            return
        if not self._writer_turn.acquire(timeout=WRITER_TURN_TIMEOUT_SECONDS):
            raise DatabaseBusy()
        try:
            yield
        finally:
            self._writer_turn.release()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A transaction that only reads; on SQLite it runs beside writers without waiting."""
        with self._transaction() as session:
            yield session

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except DBAPIError as exc:
            if self.dialect.is_busy_error(exc):
                raise DatabaseBusy() from None
            if self.dialect.is_misfit_value_error(exc):
                reason = str(exc.orig).strip().splitlines()[0]
                raise StoreError(
                    f"A value does not fit its database column ({reason}); send a shorter text "
                    "or a smaller number."
                ) from None
            raise
