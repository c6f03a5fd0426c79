"""The container's entrypoint: wait for the database, upgrade if asked, then become the server.

Settings come from the environment (docker/README.md has the full table):

- TRACKSTORE_BACKEND_STORE_URI, else MLFLOW_TRACKING_URI: the database.
- TRACKSTORE_UPGRADE: `never` (default; the server's guard decides), `auto` (upgrade under the
  migration lock, then serve) or `only` (upgrade and exit, for init containers and Jobs).
- TRACKSTORE_BACKUP_TO: back the database up here before an upgrade that changes it.
- TRACKSTORE_DB_WAIT_SECONDS: how long to wait for the database to answer (default 60 here).
- TRACKSTORE_HOST, TRACKSTORE_PORT, TRACKSTORE_WORKERS, TRACKSTORE_DEFAULT_ARTIFACT_ROOT.

The server replaces this process (exec), so the signals a container runtime sends reach it.
"""

import functools
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from compat import TrackstoreError, make_engine, mask_url
from compat.engine import WAIT_VARIABLE
from migrations import backups
from store.common.upgrading import upgrade_and_verify

MODES = ("never", "auto", "only")
DEFAULT_WAIT_SECONDS = 60.0
# How long past the wait a connection attempt may hang before the watchdog ends the process.
WATCHDOG_GRACE_SECONDS = 3.0
SERVER_OPTIONS = {
    "TRACKSTORE_HOST": "--host",
    "TRACKSTORE_PORT": "--port",
    "TRACKSTORE_WORKERS": "--workers",
    "TRACKSTORE_DEFAULT_ARTIFACT_ROOT": "--default-artifact-root",
}


def main(server_args: Sequence[str] = (), env: Mapping[str, str] = os.environ) -> None:
    """Run the entrypoint; `server_args` are extra `trackstore server` options."""
    try:
        uri, mode, wait = read_settings(env)
        engine = wait_for_database(uri, wait)
        try:
            if mode != "never":
                upgrade(engine, env.get("TRACKSTORE_BACKUP_TO"))
        finally:
            engine.dispose()
    except TrackstoreError as exc:
        say(f"error: {exc}")
        sys.exit(exc.exit_code)
    if mode == "only":
        return
    exec_server(uri, env, server_args)


def read_settings(env: Mapping[str, str]) -> tuple[str, str, float]:
    uri = env.get("TRACKSTORE_BACKEND_STORE_URI") or env.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise TrackstoreError(
            "No database given; set TRACKSTORE_BACKEND_STORE_URI (or MLFLOW_TRACKING_URI) "
            "to a URI such as postgresql://user@host/db."
        )
    mode = env.get("TRACKSTORE_UPGRADE", "never").strip().lower()
    if mode not in MODES:
        raise TrackstoreError(
            f"TRACKSTORE_UPGRADE is '{mode}'; set it to one of {', '.join(MODES)}."
        )
    raw_wait = env.get(WAIT_VARIABLE) or str(DEFAULT_WAIT_SECONDS)
    try:
        wait = float(raw_wait)
    except ValueError:
        raise TrackstoreError(f"{WAIT_VARIABLE} is '{raw_wait}'; set it to seconds.") from None
    return uri, mode, wait


def wait_for_database(uri: str, wait_seconds: float) -> Engine:
    """An Engine that has answered once within `wait_seconds`, or exit with a clear message.

    A server that accepts connections but never answers would hang the driver forever, so a
    watchdog ends the process a few seconds after the deadline.
    """
    say(f"waiting up to {wait_seconds:g} s for {mask_url(uri)}")
    done = threading.Event()
    watchdog = threading.Thread(
        target=_give_up_after, args=(uri, wait_seconds + WATCHDOG_GRACE_SECONDS, done), daemon=True
    )
    watchdog.start()
    try:
        return make_engine(uri, wait_seconds=wait_seconds)
    finally:
        done.set()


def _give_up_after(uri: str, seconds: float, done: threading.Event) -> None:
    if not done.wait(seconds):
        say(
            f"error: {mask_url(uri)} accepted no connection within {seconds:g} s; check that "
            f"the database is running and reachable, or raise {WAIT_VARIABLE}."
        )
        os._exit(1)


def upgrade(engine: Engine, backup_to: str | None) -> None:
    """Upgrade to the revision the store serves, under the migration lock; back up first when
    asked and data changes."""
    take_backup = None
    if backup_to:
        target = backup_path(Path(backup_to))
        take_backup = functools.partial(backups.take_backup, engine, target, say)
    upgrade_and_verify(engine, None, say, before_change=take_backup)


def backup_path(target: Path) -> Path:
    """`target`, or a new time-stamped file in it when it is a directory."""
    if target.is_dir():
        return target / time.strftime("trackstore-%Y%m%dT%H%M%S.backup")
    return target


def exec_server(uri: str, env: Mapping[str, str], extra: Sequence[str] = ()) -> None:
    """Replace this process with `trackstore server`; the URI travels in the environment.

    Inside a container the server listens on every address unless TRACKSTORE_HOST says not to.
    """
    argv = [sys.executable, "-m", "store.cli", "server"]
    settings = {"TRACKSTORE_HOST": "0.0.0.0", **env}
    for variable, option in SERVER_OPTIONS.items():
        if settings.get(variable):
            argv += [option, settings[variable]]
    argv += extra
    sys.stdout.flush()
    os.execve(sys.executable, argv, {**env, "MLFLOW_TRACKING_URI": uri})


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
