"""Starting the server: take the port, check the schema, then hand the port to uvicorn.

The port is bound (not yet listened on) first, so a busy port is one sentence before any
upgrade; the guard then runs before anything listens, so a database at the wrong revision stops
the command with the guard's sentence and a non-zero exit while no client can connect.
"""

import errno
import functools
import os
import socket
import sys
from collections.abc import Mapping
from typing import Any

import uvicorn

from compat import TrackstoreError, dialect_for, make_engine
from migrations import backups
from migrations.progress import Progress
from store.common import guard
from store.common.upgrading import upgrade_and_verify
from store.server.app import Settings
from store.server.server_flags import ServerFlags
from store.server.static_prefix import PREFIX_VARIABLE
from store.server.workers import Workers
from store.tracking.bootstrap import check_single_workspace, ensure_default_experiment

APP_FACTORY = "store.server.static_prefix:app_from_environment"


def run_server(settings: Settings, flags: ServerFlags, progress: Progress) -> None:
    """Bind the port, prepare the database (upgrading only when asked), and serve."""
    sock = listening_socket(flags.host, flags.port)
    try:
        prepare_database(settings, flags.upgrade, progress, flags)
        os.environ[PREFIX_VARIABLE] = flags.static_prefix
        serve(settings, sock, flags.workers, flags.uvicorn_settings)
    finally:
        sock.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` for the workers to share; one sentence if it cannot be."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:
        raise TrackstoreError(
            f"Cannot listen on {host}:{port}: the host is not an address of this machine "
            f"({exc.strerror}); give one with -h/--host, such as 127.0.0.1 or 0.0.0.0."
        ) from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise TrackstoreError(
                f"Port {port} on {host} is already in use; stop what listens there, or choose "
                "another port with -p/--port."
            ) from None
        raise TrackstoreError(
            f"Cannot listen on {host}:{port} ({exc.strerror}); choose another host or port."
        ) from None
    sock.set_inheritable(True)
    return sock


def prepare_database(
    settings: Settings, upgrade: bool, progress: Progress, flags: ServerFlags | None = None
) -> None:
    """Upgrade (only when asked, after the backup `flags` asks for), run the guard, and add
    the Default experiment if none exists.

    The guard raises TrackstoreError when the schema will not do; an empty SQLite database is
    created at the revision the store serves, as MLflow's server does. A server of artifacts
    only has no database.
    """
    if settings.artifacts.only:
        return
    engine = make_engine(settings.backend_store_uri)
    backup_to = flags.backup_to if flags is not None else None
    try:
        if upgrade:
            upgrade_and_verify(
                engine,
                None,
                progress,
                before_change=None
                if backup_to is None
                else functools.partial(backups.take_backup, engine, backup_to, progress),
            )
        guard.ensure_servable(engine, progress=progress)
        dialect_for(engine.dialect.name).keep_settings(engine, os.environ)
        with engine.begin() as connection:
            check_single_workspace(connection)
            ensure_default_experiment(connection, settings.artifact_root)
    finally:
        engine.dispose()


def serve(
    settings: Settings,
    sock: socket.socket,
    workers: int,
    uvicorn_settings: Mapping[str, Any] | None = None,
) -> None:
    """Serve on `sock` until stopped; every worker process opens its own Engine at startup."""
    os.environ.update(settings.to_environment())
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=10,
        **(uvicorn_settings or {}),
    )
    if workers > 1:
        sys.exit(Workers(config, workers, sock).run())
    uvicorn.Server(config).run(sockets=[sock])
