"""`db upgrade --dry-run`: the plan names every pending revision and changes nothing."""

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from compat import make_engine
from migrations import plan, runner
from store import models
from tests.cli import run_trackstore
from tests.sample_store import OLD_REVISION, build_sample, table_rows
from tests.schema import snapshot

PROGRESS_LINE = re.compile(r"^upgraded to ([0-9a-f]{12,13}) \(.*\) in \d+\.\d\d s$")
PLAN_ROW = re.compile(r"^  ([0-9a-f]{12,13}) +(yes|no|if values fit) +~[\d.]+ (s|min)  (.*)  —  ")


@pytest.fixture(scope="module")
def old_store(backend: str) -> str:
    build_sample(backend)
    return backend


def test_plan_lists_each_pending_revision_in_order_and_changes_nothing(old_store: str) -> None:
    before = _state(old_store)
    result = run_trackstore("db", "upgrade", old_store, "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == f"current revision: {OLD_REVISION}"
    assert lines[2].split(" (")[0] == f"target revision: {models.REVISION}"
    listed = [match.group(1) for line in lines if (match := PLAN_ROW.match(line))]
    chain = [script.revision for script in runner.history()]
    assert listed == chain[chain.index(OLD_REVISION) + 1 : chain.index(models.REVISION) + 1]
    assert _state(old_store) == before


def test_plan_counts_the_rows_of_the_tables_a_revision_rewrites(old_store: str) -> None:
    result = run_trackstore("db", "upgrade", old_store, "--dry-run")
    rows = {
        m.group(1): m.group(4) for line in result.stdout.splitlines() if (m := PLAN_ROW.match(line))
    }
    assert rows["2d6e25af4d3e"] == "params (6)"
    assert rows["f5a4f2784254"] == "tags (3)"
    assert rows["3500859a5d39"] == "none"


def test_plan_says_which_revisions_cannot_be_undone(old_store: str) -> None:
    result = run_trackstore("db", "upgrade", old_store, "--dry-run", "--revision", "2d6e25af4d3e")
    undo = {
        m.group(1): m.group(2) for line in result.stdout.splitlines() if (m := PLAN_ROW.match(line))
    }
    assert undo["2d6e25af4d3e"] == "if values fit"
    assert undo["97727af70f4d"] == "yes"
    assert list(undo)[-1] == "2d6e25af4d3e"


def test_undo_comes_from_the_revision_scripts() -> None:
    modules = {script.revision: script.module for script in runner.history()}
    assert plan.undo_of(modules["451aebb31d03"]) == "no"
    assert plan.undo_of(modules["cc1f77228345"]) == "if values fit"
    assert plan.undo_of(modules["df50e92ffc5e"]) == "yes"


def test_upgrade_prints_each_planned_revision_with_its_time(fresh_backend: str) -> None:
    build_sample(fresh_backend)
    planned = run_trackstore("db", "upgrade", fresh_backend, "--dry-run").stdout.splitlines()
    expected = [match.group(1) for line in planned if (match := PLAN_ROW.match(line))]
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    printed = [PROGRESS_LINE.match(line) for line in result.stdout.splitlines()]
    assert [match.group(1) for match in printed if match] == expected


def test_plan_for_an_empty_database_creates_it_from_the_models(fresh_backend: str) -> None:
    if fresh_backend.startswith("sqlite"):
        Path(make_url(fresh_backend).database or "").touch()  # a new, empty SQLite database
    result = run_trackstore("db", "upgrade", fresh_backend, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "the database is empty: it would be created at" in result.stdout
    assert table_rows(fresh_backend) == {}


def test_plan_at_the_target_has_nothing_to_do(old_store: str) -> None:
    result = run_trackstore("db", "upgrade", old_store, "--dry-run", "--revision", OLD_REVISION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "nothing to do: the database is already at the target"


def test_plan_for_an_unknown_revision_is_one_sentence(old_store: str) -> None:
    result = run_trackstore("db", "upgrade", old_store, "--dry-run", "--revision", "0000beefcafe")
    assert result.returncode == 1
    assert "'0000beefcafe' is not a revision trackstore knows" in result.stderr


def _state(uri: str) -> tuple[object, object]:
    engine = make_engine(uri)
    try:
        return snapshot(engine), table_rows(uri)
    finally:
        engine.dispose()
