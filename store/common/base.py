"""What every store shares: an Engine, and sessions that commit or roll back as one unit."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from compat import Dialect, dialect_for
from compat.transactions import DatabaseBusy, writing
from store.common.errors import StoreError


class SqlStore:
    """Base of the tracking, registry, logged-model and trace stores."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_for(engine.dialect.name)
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that may write, committed on success and rolled back on any error.

        It begins as a writer (see `compat.transactions`), so that on SQLite it waits for
        other writers rather than failing when it first writes.
        """
        with writing(), self._transaction() as session:
            yield session

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
