"""`db upgrade` ends by comparing the live schema with the revision it records, on every dialect."""

from compat import make_engine
from migrations import runner
from store import models
from tests.cli import run_trackstore

# 6953534de441 adds inputs.step; a database stamped at it without the column is what a revision
# that recorded itself without doing its work leaves.
SKIPPED = "6953534de441"


def test_upgrade_ends_by_saying_the_schema_was_verified(fresh_backend: str) -> None:
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"verified the schema against {models.REVISION} in ")


def test_upgrade_fails_naming_the_drift_a_broken_revision_left(fresh_backend: str) -> None:
    engine = make_engine(fresh_backend)
    try:
        runner.upgrade(engine, runner.script_directory().get_revision(SKIPPED).down_revision)
        runner.stamp(engine, SKIPPED)
    finally:
        engine.dispose()
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 1
    assert f"upgraded to {models.REVISION}" in result.stdout
    assert "verified" not in result.stdout
    message = result.stderr.strip()
    assert message.startswith("error: ")
    assert f"records revision {models.REVISION}, but its schema differs" in message
    assert "table inputs: column step is missing" in message
