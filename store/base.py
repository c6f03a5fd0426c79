"""What every store shares: an Engine, and sessions that commit or roll back as one unit."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from compat import Dialect, dialect_for


class SqlStore:
    """Base of the tracking, registry, logged-model and trace stores."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect: Dialect = dialect_for(engine.dialect.name)
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions.begin() as session:
            yield session
