"""Every upgrade ends by comparing the live schema with the revision it records, on every
dialect: `db upgrade`, `server --upgrade` and the container entrypoint alike."""

import subprocess

import pytest

from compat import make_engine
from migrations import runner
from store import models
from tests.cli import run_trackstore
from tests.live_server import free_port, port_is_bound
from tests.test_entrypoint import entrypoint_env, run_entrypoint

# 6953534de441 adds inputs.step; a database stamped at it without the column is what a revision
# that recorded itself without doing its work leaves.
SKIPPED = "6953534de441"


def test_upgrade_ends_by_saying_the_schema_was_verified(fresh_backend: str) -> None:
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"verified the schema against {models.REVISION} in ")


@pytest.fixture
def drifted(fresh_backend: str) -> str:
    """A database stamped at SKIPPED without the column SKIPPED adds."""
    engine = make_engine(fresh_backend)
    try:
        runner.upgrade(engine, runner.script_directory().get_revision(SKIPPED).down_revision)
        runner.stamp(engine, SKIPPED)
    finally:
        engine.dispose()
    return fresh_backend


def assert_names_the_drift(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"upgraded to {models.REVISION}" in output
    assert "verified the schema" not in output
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: ")
    assert f"records revision {models.REVISION}, but its schema differs" in message
    assert "table inputs: column step is missing" in message


def test_upgrade_fails_naming_the_drift_a_broken_revision_left(drifted: str) -> None:
    assert_names_the_drift(run_trackstore("db", "upgrade", drifted))


def test_server_upgrade_refuses_to_serve_a_drifted_schema(drifted: str) -> None:
    port = free_port()
    result = run_trackstore("server", "--backend-store-uri", drifted, "--upgrade", "-p", str(port))
    assert_names_the_drift(result)
    assert not port_is_bound(port)


def test_entrypoint_upgrade_refuses_to_serve_a_drifted_schema(drifted: str) -> None:
    port = free_port()
    result = run_entrypoint(entrypoint_env(drifted, port, TRACKSTORE_UPGRADE="auto"))
    assert_names_the_drift(result)
    assert not port_is_bound(port)
