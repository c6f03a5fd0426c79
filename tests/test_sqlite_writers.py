"""SQLite transactions that write begin as writers, and a lock held too long is a 503 (19.1).

`test_many_writers.py` is the same behaviour under load through the server; these tests take
it apart with a second connection that holds the database's locks.
"""

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from compat import make_engine
from compat.dialects import sqlite
from compat.transactions import DatabaseBusy, writing
from store.common import base
from store.server.app import Settings
from store.tracking.store import TrackingStore
from tests.app_client import app_client
from tests.store.fresh import create_fresh_schema

API = "/api/2.0/mlflow"
SHORT_BUSY_TIMEOUT_MS = 300


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def engine(database: Path) -> Iterator[Engine]:
    """An engine on a new database in WAL mode, as trackstore serves it."""
    engine = make_engine(f"sqlite:///{database}")
    sqlite.set_journal_mode(engine, "WAL")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines made from here on wait SHORT_BUSY_TIMEOUT_MS for a lock instead of 30 s."""
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", SHORT_BUSY_TIMEOUT_MS)


@pytest.fixture
def store(database: Path, short_busy_timeout: None) -> Iterator[TrackingStore]:
    engine = make_engine(f"sqlite:///{database}")
    create_fresh_schema(engine)
    sqlite.set_journal_mode(engine, "WAL")
    yield TrackingStore(engine, "mlruns")
    engine.dispose()


def other_connection(database: Path) -> sqlite3.Connection:
    """A second writer, as another server worker would be, that never waits for a lock."""
    return sqlite3.connect(database, isolation_level=None, timeout=0, check_same_thread=False)


def takes_write_lock(database: Path) -> bool:
    other = other_connection(database)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()
    return True


def test_a_deferred_read_then_write_fails_at_once_after_another_commit(
    engine: Engine, database: Path
) -> None:
    """The cause: a reader's snapshot is stale once another writer commits, and no busy
    timeout can help it write (this is SQLite's behaviour, which `writing()` avoids)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
        other_connection(database).execute("INSERT INTO t VALUES (1)")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            connection.execute(text("INSERT INTO t VALUES (2)"))
        assert time.monotonic() - started < 5


def test_a_writing_transaction_holds_the_write_lock_from_its_begin(
    engine: Engine, database: Path
) -> None:
    with writing(), engine.begin() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
        assert not takes_write_lock(database)
        connection.execute(text("INSERT INTO t VALUES (2)"))


def test_a_writer_keeps_the_busy_timeout_for_its_statements(engine: Engine) -> None:
    """The writer polls for the lock with SQLite's wait off, and turns it back on to work."""
    with writing(), engine.begin() as connection:
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == sqlite.BUSY_TIMEOUT_MS


def test_a_transaction_outside_writing_begins_deferred(engine: Engine, database: Path) -> None:
    with engine.begin() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
        assert takes_write_lock(database)


def test_a_store_write_waits_for_another_writer(store: TrackingStore, database: Path) -> None:
    other = other_connection(database)
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(SHORT_BUSY_TIMEOUT_MS / 3000, other.rollback)
    releaser.start()
    try:
        store.create_experiment(f"waited-{uuid.uuid4().hex}")
    finally:
        releaser.join()
        other.close()


def test_a_store_write_locked_out_too_long_is_database_busy(
    store: TrackingStore, database: Path
) -> None:
    other = other_connection(database)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy, match="send the request again"):
            store.create_experiment("locked-out")
    finally:
        other.close()
    assert store.get_experiment_by_name("locked-out") is None


def test_the_writers_of_one_process_take_turns_before_asking_sqlite(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second thread waits on the process's turn, not by polling the file's lock, and
    gives up as DatabaseBusy when the turn does not come in time."""
    tries: list[str] = []
    try_begin = sqlite.SQLite._try_begin

    def counted(self: sqlite.SQLite, driver: sqlite3.Connection, sql: str) -> bool:
        tries.append(threading.current_thread().name)
        return try_begin(self, driver, sql)

    monkeypatch.setattr(sqlite.SQLite, "_try_begin", counted)
    monkeypatch.setattr(base, "WRITER_TURN_TIMEOUT_SECONDS", 0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.session() as session:
            session.connection()
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold, name="holder")
    holder.start()
    assert holding.wait(10)
    try:
        with pytest.raises(DatabaseBusy):
            store.create_experiment("second")
    finally:
        release.set()
        holder.join()
    assert tries == ["holder"]
    store.create_experiment("after the turn")


def test_a_store_read_runs_beside_a_writer(store: TrackingStore, database: Path) -> None:
    experiment_id = store.create_experiment("read-beside")
    other = other_connection(database)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert store.get_experiment(experiment_id).name == "read-beside"
    finally:
        other.close()


def test_a_store_read_locked_out_too_long_is_database_busy(
    store: TrackingStore, database: Path
) -> None:
    """A connection in exclusive locking mode shuts readers out too (WAL or not)."""
    experiment_id = store.create_experiment("exclusive")
    store.engine.dispose()
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO experiment_tags VALUES ('k', 'v', ?)", (int(experiment_id),))
    try:
        with pytest.raises(DatabaseBusy):
            store.get_experiment(experiment_id)
    finally:
        holder.close()


def test_the_server_answers_a_locked_out_write_with_503(
    database: Path, short_busy_timeout: None
) -> None:
    settings = Settings(f"sqlite:///{database}")
    with app_client(settings) as client:
        other = other_connection(database)
        other.execute("BEGIN IMMEDIATE")
        try:
            answer = client.post(f"{API}/experiments/create", json={"name": "locked-out"})
            read = client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
        finally:
            other.close()
        assert answer.status_code == 503, answer.text
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert read.status_code == 200, read.text
        again = client.post(f"{API}/experiments/create", json={"name": "locked-out"})
        assert again.status_code == 200, again.text


def test_a_write_waiting_for_the_lock_holds_up_no_read_of_its_worker(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write waits on one of the worker's threads, so the event loop answers a read."""
    polling = threading.Event()
    try_begin = sqlite.SQLite._try_begin

    def noticed(self: sqlite.SQLite, driver: sqlite3.Connection, sql: str) -> bool:
        polling.set()
        return try_begin(self, driver, sql)

    settings = Settings(f"sqlite:///{database}")
    with app_client(settings) as client, ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(sqlite.SQLite, "_try_begin", noticed)
        other = other_connection(database)
        other.execute("BEGIN IMMEDIATE")
        try:
            write = pool.submit(client.post, f"{API}/experiments/create", json={"name": "waits"})
            assert polling.wait(30)
            read = client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
            assert not write.done()
        finally:
            other.rollback()
            other.close()
        assert read.status_code == 200, read.text
        assert write.result(timeout=60).status_code == 200
