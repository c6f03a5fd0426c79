"""`db rehearse`: a backup restored into a scratch database, upgraded, verified, tried back down,
and reported as JUnit XML with one test case per revision."""

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.migration_bench import build
from compat import make_engine
from compat.databases import create_database, drop_database
from migrations import runner
from store import models
from tests.cli import run_trackstore
from tests.sample_store import OLD_REVISION, build_sample, table_rows

pytestmark = pytest.mark.backends("sqlite", "postgresql", "mysql")
# 6953534de441 adds inputs.step: a database stamped there without it has drifted.
DRIFTED = "6953534de441"


@pytest.fixture(scope="module")
def source(backend: str) -> str:
    """A store with rows at an old revision, as production would be."""
    build_sample(backend)
    return backend


@pytest.fixture
def scratch(fresh_backend: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database for one test, beside `fresh_backend`."""
    if fresh_backend.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    server = make_url(fresh_backend)
    name = f"{server.database}_s"
    url = create_database(server, name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(server, name)


def backup_of(uri: str, folder: Path) -> Path:
    path = folder / f"prod-{uuid.uuid4().hex[:8]}.backup"
    result = run_trackstore("db", "backup", uri, "--to", str(path))
    assert result.returncode == 0, result.stderr
    return path


def rehearse(backup: Path, scratch: str, report: Path) -> tuple[int, str, ET.Element]:
    result = run_trackstore(
        "db", "rehearse", str(backup), "--scratch", scratch, "--junit", str(report)
    )
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    return result.returncode, result.stdout + result.stderr, suite


def pending_after(revision: str) -> list[str]:
    """The revisions a rehearsal applies from `revision`: up to the one the store serves."""
    revisions = [script.revision for script in runner.history()]
    return revisions[revisions.index(revision) + 1 : revisions.index(models.REVISION) + 1]


def test_rehearsal_reports_each_revision_with_its_time_and_way_back(
    source: str, fresh_backend: str, tmp_path: Path
) -> None:
    code, output, suite = rehearse(backup_of(source, tmp_path), fresh_backend, tmp_path / "r.xml")
    assert code == 0, output
    pending = pending_after(OLD_REVISION)
    assert f"{len(pending)} revisions to apply, in this order:" in output
    assert f"verified the schema against {models.REVISION} in " in output
    cases = suite.findall("testcase")
    upgrades = [case for case in cases if case.get("classname") == "upgrade"]
    assert [case.get("name") for case in upgrades] == pending
    assert all(float(case.get("time", "-1")) >= 0 for case in cases)
    assert suite.get("failures") == "0" and not suite.findall(".//failure")
    notes = {case.get("name"): case.findtext("system-out") or "" for case in cases}
    assert "every stored value fits" in notes["2d6e25af4d3e"]
    assert f"went back down to {OLD_REVISION}" in notes[f"downgrade to {OLD_REVISION}"]
    with_rows = make_engine(fresh_backend)
    try:
        with with_rows.connect() as connection:
            assert runner.current_revision(connection) == OLD_REVISION
    finally:
        with_rows.dispose()


def test_a_revision_that_cannot_be_undone_is_reported_and_the_downgrade_refused(
    fresh_backend: str, scratch: str, tmp_path: Path
) -> None:
    build(fresh_backend, runs=5, params_per_run=1, steps=2)
    code, output, suite = rehearse(backup_of(fresh_backend, tmp_path), scratch, tmp_path / "r.xml")
    assert code == 0, output
    notes = {case.get("name"): case.findtext("system-out") or "" for case in suite}
    assert "downgrade: cannot be undone" in notes["181f10493468"]
    assert "refused with nothing changed" in notes["downgrade to 451aebb31d03"]


def test_a_drifted_backup_fails_the_verification_case(
    fresh_backend: str, scratch: str, tmp_path: Path
) -> None:
    engine = make_engine(fresh_backend)
    try:
        runner.upgrade(engine, "400f98739977")
        runner.stamp(engine, DRIFTED)
    finally:
        engine.dispose()
    code, output, suite = rehearse(backup_of(fresh_backend, tmp_path), scratch, tmp_path / "r.xml")
    assert code == 1
    assert "failed in 1 of" in output
    failures = suite.findall("testcase/failure")
    assert len(failures) == 1 and "table inputs: column step is missing" in str(
        failures[0].get("message")
    )


def test_a_scratch_database_that_is_not_empty_is_refused_unchanged(
    source: str, tmp_path: Path
) -> None:
    before = table_rows(source)
    result = run_trackstore("db", "rehearse", str(backup_of(source, tmp_path)), "--scratch", source)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "is not empty; give --scratch an empty" in (
        result.stderr
    )
    assert table_rows(source) == before


def test_a_missing_backup_is_refused_before_the_scratch_database_is_opened(
    tmp_path: Path,
) -> None:
    scratch = tmp_path / "scratch.db"
    missing = tmp_path / "no-such.backup"
    result = run_trackstore("db", "rehearse", str(missing), "--scratch", f"sqlite:///{scratch}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {missing} is not a readable file; give the path of a backup."
    )
    assert not scratch.exists()
