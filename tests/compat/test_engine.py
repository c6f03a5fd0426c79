"""The engine factory: MLflow's variables reach the engine and driver; failures are one sentence."""

from typing import Any

import pytest
import sqlalchemy.pool
from sqlalchemy import event
from sqlalchemy.engine import make_url

from compat import TrackstoreError, make_engine
from compat.engine import build_engine
from migrations import runner
from store import models
from tests.cli import run_trackstore

POOL = "MLFLOW_SQLALCHEMYSTORE_"


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("POOL_SIZE", "7", lambda engine: engine.pool.size()),
        ("MAX_OVERFLOW", "3", lambda engine: engine.pool._max_overflow),
        ("POOL_RECYCLE", "120", lambda engine: engine.pool._recycle),
    ],
)
def test_pool_variable_reaches_engine(backend: str, variable: str, value: str, read: Any) -> None:
    engine = make_engine(backend, env={POOL + variable: value, POOL + "POOLCLASS": "QueuePool"})
    try:
        assert read(engine) == int(value)
    finally:
        engine.dispose()


def test_echo_variable_reaches_engine(backend: str) -> None:
    engine = make_engine(backend, env={POOL + "ECHO": "true"})
    try:
        assert engine.echo is True
    finally:
        engine.dispose()


def test_poolclass_variable_reaches_engine(backend: str) -> None:
    engine = make_engine(backend, env={POOL + "POOLCLASS": "NullPool"})
    try:
        assert isinstance(engine.pool, sqlalchemy.pool.NullPool)
    finally:
        engine.dispose()


def test_bad_poolclass_is_one_sentence_listing_valid_names(backend: str) -> None:
    with pytest.raises(TrackstoreError, match=r"'Bogus', which is not .*NullPool, QueuePool"):
        make_engine(backend, env={POOL + "POOLCLASS": "Bogus"})


def test_pool_size_must_be_a_number(backend: str) -> None:
    with pytest.raises(TrackstoreError, match="POOL_SIZE is 'seven'; set it to a whole number"):
        make_engine(backend, env={POOL + "POOL_SIZE": "seven"})


@pytest.mark.backends("mysql")
def test_mysql_ssl_variables_reach_the_driver(backend: str) -> None:
    env = {
        "MLFLOW_MYSQL_SSL_CA": "/certs/ca.pem",
        "MLFLOW_MYSQL_SSL_CERT": "/certs/client.pem",
        "MLFLOW_MYSQL_SSL_KEY": "/certs/client.key",
    }
    engine = build_engine(backend, env)
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect: Any, _record: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        seen.update(kwargs)
        raise ConnectionAbortedError

    with pytest.raises(ConnectionAbortedError):
        engine.connect()
    assert seen["ssl_ca"] == "/certs/ca.pem"
    assert seen["ssl_cert"] == "/certs/client.pem"
    assert seen["ssl_key"] == "/certs/client.key"


def test_cli_bad_poolclass_exits_non_zero_with_one_sentence(backend: str) -> None:
    result = run_trackstore("db", "current", backend, env={POOL + "POOLCLASS": "Bogus"})
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "use one of: AssertionPool" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_unreachable_host_is_one_sentence_without_password() -> None:
    result = run_trackstore(
        "db",
        "current",
        "postgresql://alice:hunter2@127.0.0.1:1/store",
        env={"TRACKSTORE_DB_WAIT_SECONDS": "1"},
    )
    assert result.returncode != 0
    assert result.stderr.startswith("error: Could not connect to postgresql+psycopg2://alice:***@")
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.backends("mysql")
def test_cli_wrong_password_fails_fast_without_showing_it(backend: str) -> None:
    wrong = make_url(backend).set(password="hunter2").render_as_string(hide_password=False)
    result = run_trackstore("db", "current", wrong, env={"TRACKSTORE_DB_WAIT_SECONDS": "30"})
    assert result.returncode != 0
    assert "Access denied" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_unparsable_uri_masks_password() -> None:
    result = run_trackstore("db", "current", "//alice:hunter2@nowhere")
    assert result.returncode != 0
    assert "is not a database URI" in result.stderr
    assert "hunter2" not in result.stderr


def test_sqlite_file_database_gets_foreign_keys_and_wal(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    runner.upgrade(engine, fresh=models.SERVED)  # a database trackstore created
    try:
        with engine.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()
    assert (tmp_path / "store.db").exists()
