"""Live HTTP servers in subprocesses on loopback (`trackstore server`, `mlflow server`), and the
database revisions they are started on."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from compat import make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from store import models
from tests.conftest import database_name

HOST = "127.0.0.1"
# A revision below head, for databases a server must refuse or upgrade.
OLD_REVISION = "0584bdc529eb"
# How long a server may take to answer /health: mlflow server 3.18 takes over 120 s to start on
# a loaded two-core machine.
START_TIMEOUT = 300
# The status recorded when the server closed the connection instead of answering.
NO_ANSWER = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_bound(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class LiveServer:
    """A server process, its base URL and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    started_in: float = 0.0

    def stop(self) -> None:
        """End the server and every process it started (mlflow server leaves gunicorn behind
        otherwise): SIGTERM to its process group, SIGKILL after 15 s."""
        if self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def trackstore_command(uri: str, port: int, workers: int, extra: Sequence[str] = ()) -> list[str]:
    return [
        sys.executable, "-m", "store.cli", "server", "--backend-store-uri", uri,
        "--host", HOST, "--port", str(port), "--workers", str(workers), *extra,
    ]  # fmt: skip


REFERENCE_MLFLOW = Path("/opt/mlflow-ref/bin/mlflow")


def mlflow_command(uri: str, port: int, workers: int, executable: Path | None = None) -> list[str]:
    """`mlflow server` from `executable`, else from the environment running the tests, else
    from the reference venv."""
    beside = Path(sys.executable).parent / "mlflow"
    mlflow = executable or (beside if beside.exists() else REFERENCE_MLFLOW)
    return [
        str(mlflow), "server", "--backend-store-uri", uri,
        "--host", HOST, "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


def start(
    command: list[str],
    port: int,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> LiveServer:
    """Start `command` and wait until GET /health answers OK; raise with its output if not."""
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    server = LiveServer(f"http://{HOST}:{port}", process, log)
    try:
        wait_healthy(server, timeout)
    except BaseException:
        server.stop()
        raise
    server.started_in = time.perf_counter() - started
    return server


def wait_healthy(server: LiveServer, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.01)
    raise RuntimeError(f"server not healthy after {timeout} s:\n{server.output()}")


def at_head(uri: str) -> str:
    """`uri`, whose empty database is first created at the revision trackstore serves (the
    server creates a SQLite file's schema itself, but refuses an empty database server's)."""
    engine = make_engine(uri)
    try:
        runner.upgrade(engine, fresh=models.SERVED)
    finally:
        engine.dispose()
    return uri


def at_old_revision(uri: str) -> str:
    """`uri`, whose empty database is first brought up to OLD_REVISION."""
    runner.upgrade(make_engine(uri), OLD_REVISION)
    return uri


def recorded_revision(uri: str) -> str | None:
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            return runner.current_revision(connection)
    finally:
        engine.dispose()


def servers_on_backend(backend: str, root: Path) -> Iterator[dict[str, LiveServer]]:
    """mlflow server and trackstore server, each on a new database of `backend`'s server (SQLite
    files in `root`), started in `root` and stopped, their databases dropped, when the caller is
    done. A trackstore database other than SQLite gets its schema by an explicit upgrade first;
    whether the server then takes it is the guard's to say when it starts."""
    started: dict[str, LiveServer] = {}
    databases: list[str] = []
    try:
        for name in ("mlflow", "trackstore"):
            uri = _new_database(backend, root, name, databases)
            if name == "trackstore" and not backend.startswith("sqlite"):
                subprocess.run(
                    [sys.executable, "-m", "store.cli", "db", "upgrade", uri],
                    check=False,
                    capture_output=True,
                )
            port = free_port()
            command = (
                mlflow_command(uri, port, 1)
                if name == "mlflow"
                else trackstore_command(uri, port, 1)
            )
            with pytest.MonkeyPatch.context() as environment:
                environment.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
                environment.chdir(root)
                started[name] = start(command, port, root / f"{name}.log", timeout=START_TIMEOUT)
        yield started
    finally:
        for server in started.values():
            server.stop()
        for database in databases:
            drop_database(make_url(backend), database)


def _new_database(backend: str, root: Path, name: str, made: list[str]) -> str:
    if backend.startswith("sqlite"):
        return f"sqlite:///{root / f'{name}.db'}"
    database = database_name(f"{root.name}_{name}")
    made.append(database)
    return create_database(make_url(backend), database).render_as_string(hide_password=False)


def json_caller(server: LiveServer) -> Callable[[str, str, bytes | None], tuple[int, Any]]:
    """`call(method, url, body)` for `server`: the status and the answer's JSON (its text when
    it is not JSON); NO_ANSWER and the exception's name when the connection failed."""
    address = server.url.removeprefix("http://")

    def call(method: str, url: str, body: bytes | None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(address, timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, url, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            return NO_ANSWER, type(exc).__name__
        finally:
            connection.close()
        try:
            return answer.status, json.loads(text)
        except ValueError:
            return answer.status, text

    return call
