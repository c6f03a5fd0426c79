"""The migration lock: one upgrader per database, waiters told who holds it, freed on death."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Connection, Engine

from compat import TrackstoreError, dialect_for, make_engine
from migrations.lock import lock_wait_seconds, migration_lock
from tests.cli import run_trackstore


@pytest.fixture
def engine(backend: str) -> Iterator[Engine]:
    engine = make_engine(backend)
    yield engine
    engine.dispose()


@contextmanager
def held_lock(engine: Engine) -> Iterator[Connection]:
    """The migration lock taken on a connection of its own, as another upgrader would."""
    dialect = dialect_for(engine.dialect.name)
    with engine.connect() as connection:
        assert dialect.acquire_migration_lock(connection, 0)
        try:
            yield connection
        finally:
            dialect.release_migration_lock(connection)


def test_second_session_cannot_take_a_held_lock_until_released(engine: Engine) -> None:
    dialect = dialect_for(engine.dialect.name)
    with engine.connect() as other:
        with held_lock(engine):
            assert not dialect.acquire_migration_lock(other, 0.6)
        assert dialect.acquire_migration_lock(other, 0)
        dialect.release_migration_lock(other)


def test_waiter_says_who_holds_the_lock_and_proceeds_once_it_is_released(engine: Engine) -> None:
    said: list[str] = []
    with held_lock(engine):
        waiter = threading.Thread(target=_wait_for_lock, args=(engine, said))
        waiter.start()
        time.sleep(1.0)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert said[0].startswith("waiting up to 30 s for the migration lock, held by ")
    assert said[-1] == "acquired"


def _wait_for_lock(engine: Engine, said: list[str]) -> None:
    with migration_lock(engine, 30, progress=said.append):
        said.append("acquired")


def test_upgrade_gives_up_after_the_timeout_naming_the_holder(backend: str, engine: Engine) -> None:
    with held_lock(engine):
        result = run_trackstore("db", "upgrade", backend, "--lock-timeout", "1")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("error: Another upgrade or downgrade of ")
    assert "still holds the migration lock after 1 s" in message
    assert _holder_clue(engine) in message
    password = engine.url.password
    assert not password or str(password) not in result.stdout + result.stderr


def _holder_clue(engine: Engine) -> str:
    """The part of the holder's description the database can tell about this test process."""
    if engine.dialect.name == "sqlite":
        return ".migration-lock"
    if engine.dialect.name == "mysql":
        return "MySQL connection "
    return "trackstore migration on "


def test_lock_is_freed_when_its_holder_dies(backend: str, engine: Engine) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOREVER, backend], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        dialect = dialect_for(engine.dialect.name)
        with engine.connect() as connection:
            assert not dialect.acquire_migration_lock(connection, 0)
            holder.kill()
            holder.wait()
            assert dialect.acquire_migration_lock(connection, 20)
            dialect.release_migration_lock(connection)
    finally:
        holder.kill()
        holder.wait()


HOLD_FOREVER = """
import sys, time
from compat import dialect_for, make_engine
engine = make_engine(sys.argv[1])
connection = engine.connect()
assert dialect_for(engine.dialect.name).acquire_migration_lock(connection, 0)
print("held", flush=True)
time.sleep(600)
"""


def test_lock_wait_comes_from_the_environment_when_not_given() -> None:
    assert lock_wait_seconds(None, {"TRACKSTORE_LOCK_TIMEOUT": "12.5"}) == 12.5
    assert lock_wait_seconds(None, {}) == 3600.0
    assert lock_wait_seconds(2.0, {"TRACKSTORE_LOCK_TIMEOUT": "12.5"}) == 2.0
    with pytest.raises(
        TrackstoreError, match="TRACKSTORE_LOCK_TIMEOUT is 'soon', not a number of seconds"
    ):
        lock_wait_seconds(None, {"TRACKSTORE_LOCK_TIMEOUT": "soon"})
