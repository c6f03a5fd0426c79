"""A deadlock or a lock timeout on PostgreSQL or MariaDB is "busy" (503, send again), as
SQLite's "database is locked" is: the server chose this request to lose, and a later try
succeeds. Each case provokes the real error with two connections on a real server."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from compat import dialect_for, make_engine
from compat.transactions import DatabaseBusy
from store.tracking.store import TrackingStore
from tests.store.fresh import create_fresh_schema

pytestmark = pytest.mark.backends("postgresql", "mysql")

# Session settings that make a lock wait give up within a second.
SHORT_LOCK_WAIT = {
    "postgresql": "SET lock_timeout = '300ms'",
    "mysql": "SET SESSION innodb_lock_wait_timeout = 1",
}


@pytest.fixture(scope="module")
def engine(backend: str) -> Iterator[Engine]:
    engine = make_engine(backend)
    create_fresh_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE busy_rows (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO busy_rows VALUES (1, 0), (2, 0)"))
    yield engine
    engine.dispose()


def _short_waits(engine: Engine) -> Engine:
    """A second engine on the same database whose connections give up on locks quickly."""
    quick = make_engine(engine.url.render_as_string(hide_password=False))
    setting = SHORT_LOCK_WAIT[engine.dialect.name]

    @event.listens_for(quick, "connect")
    def _set(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(setting)
        cursor.close()
        # psycopg2 opened a transaction for the SET: end it, or SQLAlchemy's reset undoes it.
        dbapi_connection.commit()  # type: ignore[attr-defined]

    quick.dispose()  # make_engine has already connected once: later connections get the SET
    return quick


def _lock_row(connection: Connection, row: int) -> None:
    connection.execute(text("UPDATE busy_rows SET n = n + 1 WHERE id = :id"), {"id": row})


def test_a_deadlock_is_busy(engine: Engine) -> None:
    """Two transactions lock rows 1 and 2 in opposite orders; the server kills one of them."""
    both_hold_one = threading.Barrier(2)
    errors: list[DBAPIError] = []

    def lock_in_order(first: int, second: int) -> None:
        with engine.connect() as connection, connection.begin():
            _lock_row(connection, first)
            both_hold_one.wait()
            try:
                _lock_row(connection, second)
            except DBAPIError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=lock_in_order, args=pair) for pair in [(1, 2), (2, 1)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1, errors
    assert dialect_for(engine.dialect.name).is_busy_error(errors[0]), errors[0]


def test_a_lock_wait_that_times_out_is_busy(engine: Engine) -> None:
    quick = _short_waits(engine)
    try:
        with engine.connect() as holder, holder.begin():
            _lock_row(holder, 1)
            with quick.connect() as waiter, pytest.raises(DBAPIError) as caught:
                _lock_row(waiter, 1)
    finally:
        quick.dispose()
    assert dialect_for(engine.dialect.name).is_busy_error(caught.value), caught.value


def test_a_store_write_that_waits_too_long_is_database_busy(engine: Engine) -> None:
    store = TrackingStore(_short_waits(engine))
    experiment_id = store.create_experiment("held")
    try:
        with engine.connect() as holder, holder.begin():
            holder.execute(
                text("UPDATE experiments SET name = name WHERE experiment_id = :id"),
                {"id": int(experiment_id)},
            )
            with pytest.raises(DatabaseBusy, match="send the request again"):
                store.rename_experiment(experiment_id, "renamed")
        assert store.get_experiment(experiment_id).name == "held"
    finally:
        store.engine.dispose()


def test_a_constraint_violation_is_not_busy(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
        connection.execute(text("INSERT INTO busy_rows VALUES (1, 0)"))
    assert not dialect_for(engine.dialect.name).is_busy_error(caught.value)
