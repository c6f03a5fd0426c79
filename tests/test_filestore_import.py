"""`trackstore db import-filestore` on hand-written file stores (MLflow 1.x's layout), without
MLflow: bad input, unreadable entries, --strict, --dry-run, conflicts, and a kill -9 part-way.
MLflow's own file stores are compared entity by entity in tests/mlflow_compat."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from compat.engine import make_engine
from tests.cli import run_trackstore
from tests.filestore_handmade import build_large, build_small, write_experiment, write_run
from tests.filestore_rows import table_rows


def _import(source: Path, uri: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_trackstore("db", "import-filestore", str(source), uri, *flags)


def _count(uri: str, sql: str) -> int:
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _has_tables(uri: str) -> bool:
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            return bool(engine.dialect.get_table_names(connection))
    finally:
        engine.dispose()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "mlruns"
    build_small(root)
    return root


def test_a_source_that_is_no_folder_is_refused_before_the_database(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    result = _import(tmp_path / "missing", f"sqlite:///{target}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "is not a folder" in result.stderr
    assert not target.exists()


def test_a_folder_without_experiments_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = _import(tmp_path / "empty", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.returncode == 1
    assert "holds no MLflow file store" in result.stderr


def test_the_password_of_an_unreachable_database_is_not_shown(small: Path) -> None:
    uri = "postgresql://ana:s3cret-pw@127.0.0.1:1/store"
    result = run_trackstore(
        "db", "import-filestore", str(small), uri, env={"TRACKSTORE_DB_WAIT_SECONDS": "0"}
    )
    assert result.returncode != 0
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert "***" in result.stderr


def test_a_1x_file_store_is_imported_with_names_sources_and_steps(
    small: Path, fresh_backend: str
) -> None:
    result = _import(small, fresh_backend)
    assert result.returncode == 0, result.stderr
    engine = make_engine(fresh_backend)
    with engine.connect() as connection:
        runs = connection.execute(
            text("SELECT name, source_type, source_name, status, user_id FROM runs ORDER BY name")
        ).all()
        stages = connection.execute(
            text("SELECT experiment_id, lifecycle_stage FROM experiments ORDER BY experiment_id")
        ).all()
        steps = connection.execute(text("SELECT step FROM metrics ORDER BY step")).scalars()
        assert list(steps) == [0] * 6
    engine.dispose()
    assert [tuple(row) for row in runs] == [
        ("run-aaaaaa", "LOCAL", "train.py", "FINISHED", "ana"),
        ("run-bbbbbb", "LOCAL", "train.py", "FINISHED", "ana"),
    ]
    assert [tuple(row) for row in stages] == [(0, "active"), (7, "deleted")]


def test_a_dry_run_prints_counts_and_writes_nothing(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    result = _import(small, f"sqlite:///{target}", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "  runs: 2\n" in result.stdout and "  metrics: 6\n" in result.stdout
    assert not target.exists()


def test_a_dry_run_on_a_server_leaves_it_empty(small: Path, fresh_backend: str) -> None:
    result = _import(small, fresh_backend, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "  experiments: 2\n" in result.stdout
    assert not _has_tables(fresh_backend)


def _break(root: Path) -> tuple[Path, Path]:
    """A run whose meta.yaml does not parse, and a metric line that is no point."""
    broken_run = write_run(root / "0", "c" * 32)
    (broken_run / "meta.yaml").write_text("run_uuid: [unclosed\n")
    metric = root / "0" / ("a" * 32) / "metrics" / "loss"
    metric.write_text(metric.read_text() + "1003 not-a-number\n")
    return broken_run, metric


def test_unreadable_entries_are_listed_and_the_rest_is_imported(
    small: Path, fresh_backend: str
) -> None:
    broken_run, metric = _break(small)
    result = _import(small, fresh_backend)
    assert result.returncode == 1
    assert f"unreadable: {broken_run}: meta.yaml does not parse" in result.stderr
    assert f"unreadable: {metric}: line 4 is not a metric point" in result.stderr
    assert "2 entries of the file store" in result.stderr
    assert _count(fresh_backend, "SELECT count(*) FROM runs") == 2
    assert _count(fresh_backend, "SELECT count(*) FROM metrics") == 6


def test_strict_refuses_before_writing_anything(small: Path, fresh_backend: str) -> None:
    _break(small)
    result = _import(small, fresh_backend, "--strict")
    assert result.returncode == 1
    assert "nothing was imported (--strict)" in result.stderr
    assert not _has_tables(fresh_backend)


def test_conflicts_are_refused_with_their_names_unless_skipped(
    small: Path, fresh_backend: str, tmp_path: Path
) -> None:
    assert _import(small, fresh_backend).returncode == 0
    other = tmp_path / "other"
    write_run(write_experiment(other, 0, "Elsewhere"), "d" * 32)
    write_run(write_experiment(other, 9, "Fresh"), "a" * 32)
    write_run(other / "9", "e" * 32)
    before = table_rows(make_engine(fresh_backend))
    refused = _import(other, fresh_backend)
    assert refused.returncode == 1
    assert "experiment 0 'Elsewhere': the target's experiment of that id is 'Default'" in (
        refused.stderr
    )
    assert f"run {'a' * 32} of experiment 'Fresh': the target keeps it in experiment 0" in (
        refused.stderr
    )
    assert table_rows(make_engine(fresh_backend)) == before
    skipped = _import(other, fresh_backend, "--skip-existing")
    assert skipped.returncode == 0, skipped.stderr
    names = "SELECT count(*) FROM runs WHERE experiment_id = 9"
    assert _count(fresh_backend, names) == 1
    assert _count(fresh_backend, "SELECT count(*) FROM experiments WHERE name = 'Elsewhere'") == 0


def test_a_kill_part_way_then_a_rerun_ends_as_an_uninterrupted_import(
    backend: str, fresh_backend: str, tmp_path: Path
) -> None:
    root = tmp_path / "mlruns"
    build_large(root, experiments=4, runs=10, points=1000)
    assert _import(root, backend).returncode == 0
    command = [sys.executable, "-m", "store.cli", "db", "import-filestore", str(root)]
    process = subprocess.Popen([*command, fresh_backend], stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and not _runs_committed(fresh_backend):
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the import finished before the kill"
    per_experiment = "SELECT count(*) FROM runs GROUP BY experiment_id"
    engine = make_engine(fresh_backend)
    with engine.connect() as connection:
        assert set(connection.execute(text(per_experiment)).scalars()) == {10}
    engine.dispose()
    assert _count(fresh_backend, "SELECT count(*) FROM runs") < 40
    rerun = _import(root, fresh_backend)
    assert rerun.returncode == 0, rerun.stderr
    assert table_rows(make_engine(fresh_backend)) == table_rows(make_engine(backend))


def _runs_committed(uri: str) -> bool:
    try:
        return _count(uri, "SELECT count(*) FROM runs") > 0
    except Exception:  # the schema is not there yet
        return False


def test_artifacts_to_copies_local_artifacts_and_points_runs_at_them(
    small: Path, tmp_path: Path
) -> None:
    run_id = "a" * 32
    artifact = small / "0" / run_id / "artifacts" / "model" / "weights.txt"
    artifact.parent.mkdir(parents=True)
    artifact.write_text("42")
    target, served = f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "served"
    result = _import(small, target, "--artifacts-to", str(served))
    assert result.returncode == 0, result.stderr
    assert (served / "0" / run_id / "artifacts" / "model" / "weights.txt").read_text() == "42"
    where = (
        f"SELECT count(*) FROM runs WHERE artifact_uri = 'mlflow-artifacts:/0/{run_id}/artifacts'"
    )
    assert _count(target, where) == 1
    located = "SELECT count(*) FROM experiments WHERE artifact_location = 'mlflow-artifacts:/0'"
    assert _count(target, located) == 1


def test_a_point_logged_twice_is_imported_once(small: Path, tmp_path: Path) -> None:
    metric = small / "0" / ("a" * 32) / "metrics" / "loss"
    metric.write_text(metric.read_text() * 2)
    target = f"sqlite:///{tmp_path / 'store.db'}"
    result = _import(small, target)
    assert result.returncode == 0, result.stderr
    assert _count(target, "SELECT count(*) FROM metrics WHERE key = 'loss'") == 6
