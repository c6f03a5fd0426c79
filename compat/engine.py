"""Building an Engine from a URI, in one place, with MLflow's environment variables."""

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy
import sqlalchemy.pool
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from compat.dialects import Dialect, dialect_for
from compat.errors import TrackstoreError
from compat.settings import seconds_setting
from compat.urls import mask_text, mask_url, parse_url

log = logging.getLogger(__name__)

POOL_PREFIX = "MLFLOW_SQLALCHEMYSTORE_"
WAIT_VARIABLE = "TRACKSTORE_DB_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 10.0
_INT_POOL_OPTIONS = {
    "POOL_SIZE": "pool_size",
    "MAX_OVERFLOW": "max_overflow",
    "POOL_RECYCLE": "pool_recycle",
}


def make_engine(
    uri: str | URL,
    env: Mapping[str, str] | None = None,
    wait_seconds: float | None = None,
    create: bool = True,
) -> Engine:
    """An Engine for `uri` that has answered once, retrying while the server is starting.

    `env` defaults to the process environment; `wait_seconds` to TRACKSTORE_DB_WAIT_SECONDS
    (10 s). `create` False refuses a file database that does not exist yet instead of
    creating it (read-only commands). Raises TrackstoreError, with the password masked, when
    the database cannot be one or never answers.
    """
    env = os.environ if env is None else env
    if wait_seconds is None:
        wait_seconds = seconds_setting(WAIT_VARIABLE, env, DEFAULT_WAIT_SECONDS)
    url = parse_url(uri) if isinstance(uri, str) else uri
    dialect_for(url.get_backend_name()).check_location(url, create)
    engine = build_engine(url, env)
    wait_until_answering(engine, wait_seconds)
    return engine


def build_engine(uri: str | URL, env: Mapping[str, str]) -> Engine:
    """The Engine for `uri` with pool, SSL and dialect options applied, not yet connected."""
    url = parse_url(uri) if isinstance(uri, str) else uri
    dialect = dialect_for(url.get_backend_name())
    url = dialect.prepare_url(url, env)
    options: dict[str, Any] = {"pool_pre_ping": True, **pool_options(env)}
    options.update(dialect.engine_options(url, env))
    try:
        engine = sqlalchemy.create_engine(url, **options)
    except (NoSuchModuleError, ImportError):
        raise TrackstoreError(
            f"The driver in '{mask_url(url)}' is not installed; use one of sqlite, postgresql, "
            "mysql+pymysql or mssql+pyodbc."
        ) from None
    except TypeError as exc:
        raise TrackstoreError(
            f"The pool settings do not suit '{mask_url(url)}' ({exc}); unset the "
            f"{POOL_PREFIX}* variables that this pool class does not take."
        ) from None
    dialect.on_engine(engine)
    return engine


def dialect_of(engine: Engine) -> Dialect:
    """The compat dialect serving `engine`."""
    return dialect_for(engine.dialect.name)


def pool_options(env: Mapping[str, str]) -> dict[str, Any]:
    """create_engine keywords from MLFLOW_SQLALCHEMYSTORE_* variables, as MLflow reads them."""
    options: dict[str, Any] = {}
    for suffix, keyword in _INT_POOL_OPTIONS.items():
        if value := env.get(POOL_PREFIX + suffix):
            options[keyword] = _whole_number(POOL_PREFIX + suffix, value)
    if echo := env.get(POOL_PREFIX + "ECHO"):
        options["echo"] = echo.strip().lower() in ("true", "1", "yes")
    if poolclass := env.get(POOL_PREFIX + "POOLCLASS"):
        options["poolclass"] = pool_class(poolclass)
    return options


def pool_class(name: str) -> type[sqlalchemy.pool.Pool]:
    """The SQLAlchemy pool class called `name`, or an error listing the valid names."""
    valid = sorted(
        attr
        for attr in dir(sqlalchemy.pool)
        if isinstance(getattr(sqlalchemy.pool, attr), type)
        and issubclass(getattr(sqlalchemy.pool, attr), sqlalchemy.pool.Pool)
        and attr != "Pool"
    )
    if name not in valid:
        raise TrackstoreError(
            f"{POOL_PREFIX}POOLCLASS is '{name}', which is not a SQLAlchemy pool class; "
            f"use one of: {', '.join(valid)}."
        )
    cls: type[sqlalchemy.pool.Pool] = getattr(sqlalchemy.pool, name)
    return cls


def _whole_number(variable: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise TrackstoreError(f"{variable} is '{value}'; set it to a whole number.") from None


def wait_until_answering(engine: Engine, wait_seconds: float) -> None:
    """Connect once, retrying with backoff for up to `wait_seconds` while the server starts."""
    dialect = dialect_of(engine)
    deadline = time.monotonic() + wait_seconds
    delay = 0.25
    while True:
        try:
            with engine.connect():
                return
        except DBAPIError as exc:
            reason = mask_text(_first_line(exc.orig), engine.url)
            if dialect.is_permanent_connect_error(reason) or time.monotonic() + delay > deadline:
                engine.dispose()
                advice = (
                    "check that the file and its folder may be read and written by this user"
                    if dialect.file_based
                    else "check that the server is running, reachable and the credentials are "
                    f"right, or raise {WAIT_VARIABLE} (now {wait_seconds:g} s) if it is still "
                    "starting"
                )
                raise TrackstoreError(
                    f"Could not connect to {mask_url(engine.url)} ({reason}); {advice}."
                ) from None
            log.info("Waiting for %s: %s", mask_url(engine.url), reason)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() if error is not None else "no reason given"
    return text.splitlines()[0] if text else type(error).__name__
