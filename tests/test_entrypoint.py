"""The container entrypoint run as a plain process: each TRACKSTORE_UPGRADE mode, a database
that never answers, and a database at a revision the server refuses."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from compat import make_engine
from migrations import runner
from store import models
from tests.live_server import (
    HOST,
    OLD_REVISION,
    LiveServer,
    at_old_revision,
    free_port,
    port_is_bound,
    recorded_revision,
    start,
)

pytestmark = pytest.mark.backends("sqlite", "postgresql")
ENTRYPOINT = [sys.executable, "-m", "store.cli.entrypoint"]
SCRIPT = Path(__file__).resolve().parent.parent / "docker" / "entrypoint.sh"


def entrypoint_env(uri: str, port: int, **settings: str) -> dict[str, str]:
    return {
        "TRACKSTORE_BACKEND_STORE_URI": uri,
        "TRACKSTORE_HOST": HOST,
        "TRACKSTORE_PORT": str(port),
        "TRACKSTORE_WORKERS": "1",
        "TRACKSTORE_DB_WAIT_SECONDS": "3",
        **settings,
    }


def run_entrypoint(
    env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ENTRYPOINT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def serving() -> Iterator[list[LiveServer]]:
    """Servers started through the entrypoint in a test; stopped afterwards."""
    started: list[LiveServer] = []
    yield started
    for server in started:
        server.stop()


def serve(env: Mapping[str, str], log: Path, started: list[LiveServer]) -> LiveServer:
    server = start(ENTRYPOINT, int(env["TRACKSTORE_PORT"]), log, env=env)
    started.append(server)
    return server


def test_never_serves_a_database_at_the_served_revision(
    fresh_backend: str, tmp_path: Path, serving: list[LiveServer]
) -> None:
    runner.upgrade(make_engine(fresh_backend), models.REVISION)
    port = free_port()
    server = serve(entrypoint_env(fresh_backend, port), tmp_path / "log", serving)
    assert server.process.poll() is None


def test_never_refuses_an_old_revision_without_changing_it(
    fresh_backend: str, tmp_path: Path
) -> None:
    uri = at_old_revision(fresh_backend)
    port = free_port()
    result = run_entrypoint(entrypoint_env(uri, port))
    assert result.returncode != 0
    assert "trackstore db upgrade" in result.stderr or "--upgrade" in result.stderr
    assert recorded_revision(uri) == OLD_REVISION
    assert not port_is_bound(port)


def test_auto_upgrades_then_serves(
    fresh_backend: str, tmp_path: Path, serving: list[LiveServer]
) -> None:
    uri = at_old_revision(fresh_backend)
    port = free_port()
    serve(entrypoint_env(uri, port, TRACKSTORE_UPGRADE="auto"), tmp_path / "log", serving)
    assert recorded_revision(uri) == models.REVISION


def test_server_replaces_the_entrypoint_and_stops_on_sigterm(
    fresh_backend: str, tmp_path: Path, serving: list[LiveServer]
) -> None:
    port = free_port()
    env = entrypoint_env(fresh_backend, port, TRACKSTORE_UPGRADE="auto")
    server = serve(env, tmp_path / "log", serving)
    server.process.terminate()
    server.process.wait(timeout=20)
    log = server.output()
    assert f"Started server process [{server.process.pid}]" in log
    assert "Application shutdown complete" in log


def test_only_upgrades_and_exits(fresh_backend: str, tmp_path: Path) -> None:
    uri = at_old_revision(fresh_backend)
    port = free_port()
    result = run_entrypoint(entrypoint_env(uri, port, TRACKSTORE_UPGRADE="only"))
    assert result.returncode == 0, result.stderr
    assert recorded_revision(uri) == models.REVISION
    assert not port_is_bound(port)


def test_backup_is_taken_before_an_upgrade_that_changes_data(
    fresh_backend: str, tmp_path: Path
) -> None:
    uri = at_old_revision(fresh_backend)
    folder = tmp_path / "backups"
    folder.mkdir()
    env = entrypoint_env(
        uri, free_port(), TRACKSTORE_UPGRADE="only", TRACKSTORE_BACKUP_TO=str(folder)
    )
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert [path.stat().st_size > 0 for path in folder.iterdir()] == [True]


@pytest.mark.backends("postgresql")
def test_an_upgrade_whose_backup_client_cannot_serve_the_server_stops_before_any_change(
    fresh_backend: str, tmp_path: Path
) -> None:
    uri = at_old_revision(fresh_backend)
    folder = tmp_path / "backups"
    folder.mkdir()
    old_client = tmp_path / "pg12" / "pg_dump"
    old_client.parent.mkdir()
    old_client.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 12.18"\n')
    old_client.chmod(0o755)
    env = entrypoint_env(
        uri,
        free_port(),
        TRACKSTORE_UPGRADE="only",
        TRACKSTORE_BACKUP_TO=str(folder),
        TRACKSTORE_PG_BIN=str(old_client.parent),
    )
    result = run_entrypoint(env)
    assert result.returncode != 0
    assert (
        "pg_dump 12 ($TRACKSTORE_PG_BIN) cannot back up or restore a PostgreSQL 15 server; use "
        "an image with the PostgreSQL 15 client (build arg PG_CLIENT_VERSIONS"
    ) in result.stderr
    assert list(folder.iterdir()) == []
    assert recorded_revision(uri) == OLD_REVISION


def test_unknown_mode_is_refused(fresh_backend: str) -> None:
    result = run_entrypoint(entrypoint_env(fresh_backend, free_port(), TRACKSTORE_UPGRADE="yes"))
    assert result.returncode != 0
    assert "TRACKSTORE_UPGRADE" in result.stderr


@pytest.mark.backends("postgresql")
def test_database_that_refuses_connections_fails_within_the_timeout(backend: str) -> None:
    uri = make_url(backend).set(host=HOST, port=free_port()).render_as_string(False)
    started = time.monotonic()
    result = run_entrypoint(entrypoint_env(uri, free_port(), TRACKSTORE_DB_WAIT_SECONDS="2"))
    assert result.returncode != 0
    assert "Could not connect" in result.stderr
    assert "TRACKSTORE_DB_WAIT_SECONDS" in result.stderr
    assert time.monotonic() - started < 15


@pytest.mark.backends("postgresql")
def test_database_that_never_answers_fails_within_the_timeout(backend: str) -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        uri = make_url(backend).set(host=HOST, port=port).render_as_string(False)
        started = time.monotonic()
        env = entrypoint_env(uri, free_port(), TRACKSTORE_DB_WAIT_SECONDS="2")
        result = run_entrypoint(env, timeout=60)
    assert result.returncode != 0
    assert "accepted no connection" in result.stderr
    assert time.monotonic() - started < 20


def run_script(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """docker/entrypoint.sh as the image runs it, with this environment's python first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", str(SCRIPT), *args],
        env={**os.environ, **env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_script_runs_a_given_command_as_it_is() -> None:
    result = run_script("echo", "as-is", env={})
    assert (result.returncode, result.stdout) == (0, "as-is\n")


@pytest.mark.backends("sqlite")
def test_script_without_a_command_runs_the_entrypoint(fresh_backend: str) -> None:
    uri = at_old_revision(fresh_backend)
    result = run_script(env=entrypoint_env(uri, free_port(), TRACKSTORE_UPGRADE="only"))
    assert result.returncode == 0, result.stderr
    assert recorded_revision(uri) == models.REVISION
