"""MLflow releases through the command: history, current, release names as targets, the guard.

Each test works on a real SQLite database; the commands run as a user runs them.
"""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from compat import TrackstoreError, make_engine
from migrations import runner
from store import models
from store.common import guard
from tests.cli import run_trackstore


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    return str(revision)


def trackstore_ok(*args: str) -> str:
    result = run_trackstore(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that `db upgrade --revision mlflow-2.22.0` made, once for the module."""
    path = tmp_path_factory.mktemp("release") / "template.db"
    trackstore_ok("db", "upgrade", f"sqlite:///{path}", "--revision", "mlflow-2.22.0")
    return path


@pytest.fixture
def at_2_22(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(template, tmp_path / "store.db"))


def current(path: Path) -> str:
    return trackstore_ok("db", "current", f"sqlite:///{path}").strip()


def test_upgrade_to_a_release_stops_at_its_head(template: Path) -> None:
    assert recorded(template) == "0584bdc529eb"
    assert current(template) == "0584bdc529eb — the head of MLflow 2.18.0 to 2.22.5"


def test_history_names_the_release_that_first_shipped_each_revision() -> None:
    lines = trackstore_ok("db", "history").splitlines()
    assert lines[0].split() == ["revision", "first", "shipped", "what", "it", "does"]
    shipped = {line.split()[0]: " ".join(line.split()[1:3]) for line in lines[1:]}
    assert list(shipped) == runner.chain()
    assert shipped["451aebb31d03"] == "MLflow 1.0.0"
    assert shipped["df50e92ffc5e"] == "MLflow 1.2.0"
    assert shipped["0584bdc529eb"] == "MLflow 2.18.0"
    assert shipped["bda7b8c39065"] == "MLflow 3.0.1"
    assert lines[-1].endswith("(head, served)")


def test_upgrade_and_downgrade_by_release_name(at_2_22: Path) -> None:
    uri = f"sqlite:///{at_2_22}"
    trackstore_ok("db", "upgrade", uri, "--revision", "mlflow-3.1.4")
    assert current(at_2_22) == "bda7b8c39065 — the head of MLflow 3.0.1 and 3.1.1 to 3.1.4"
    trackstore_ok("db", "downgrade", uri, "mlflow-3.0.0")
    assert current(at_2_22) == "6953534de441 — the head of MLflow 3.0.0 and 3.1.0"


def test_current_names_the_first_release_of_a_revision_no_release_ends_at(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    trackstore_ok("db", "upgrade", f"sqlite:///{path}", "--revision", "df50e92ffc5e")
    assert (
        current(path) == "df50e92ffc5e — first shipped in MLflow 1.2.0, not the head of any release"
    )


def test_current_of_a_revision_nobody_knows(at_2_22: Path) -> None:
    with sqlite3.connect(at_2_22) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    connection.close()
    assert current(at_2_22) == (
        "ffffffffffff — a revision neither an MLflow release nor this trackstore knows "
        f"(its chain ends at {runner.head_revision()})"
    )


def test_stamp_by_release_name_records_its_head(at_2_22: Path) -> None:
    output = trackstore_ok("db", "stamp", f"sqlite:///{at_2_22}", "mlflow-2.17.2")
    assert "recorded revision f5a4f2784254" in output
    assert recorded(at_2_22) == "f5a4f2784254"


def test_dry_run_plans_up_to_a_release(at_2_22: Path) -> None:
    before = digest(at_2_22)
    output = trackstore_ok(
        "db", "upgrade", f"sqlite:///{at_2_22}", "--dry-run", "--revision", "mlflow-3.0.1"
    )
    assert "target revision: bda7b8c39065" in output
    assert "3 revisions to apply" in output
    assert digest(at_2_22) == before


def test_offline_sql_between_two_releases() -> None:
    output = trackstore_ok(
        "db", "upgrade", "--sql", "--dialect", "sqlite",
        "--from", "mlflow-3.0.0", "--revision", "mlflow-3.0.1",
    )  # fmt: skip
    assert (
        "UPDATE alembic_version SET version_num='bda7b8c39065' "
        "WHERE alembic_version.version_num = '6953534de441';"
    ) in output
    assert "version_num='6953534de441'" not in output


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade", "{uri}", "--revision", "{name}"),
        ("db", "upgrade", "{uri}", "--dry-run", "--revision", "{name}"),
        ("db", "downgrade", "{uri}", "{name}"),
        ("db", "stamp", "{uri}", "{name}"),
        ("db", "upgrade", "--sql", "--dialect", "sqlite", "--revision", "{name}"),
        ("db", "upgrade", "--sql", "--dialect", "sqlite", "--from", "{name}"),
    ],
)
def test_an_unknown_release_is_one_sentence_naming_the_nearest(
    at_2_22: Path, command: tuple[str, ...]
) -> None:
    before = digest(at_2_22)
    args = [part.format(uri=f"sqlite:///{at_2_22}", name="mlflow-2.22.6") for part in command]
    result = run_trackstore(*args)
    assert result.returncode == 1
    assert result.stderr == (
        "error: 'mlflow-2.22.6' is not an MLflow release trackstore knows; "
        "the nearest it knows are mlflow-2.22.5 and mlflow-3.0.0.\n"
    )
    assert result.stdout == ""
    assert digest(at_2_22) == before


def test_the_guard_names_the_releases_a_database_behind_matches(at_2_22: Path) -> None:
    engine = make_engine(f"sqlite:///{at_2_22}", create=False)
    behind = runner.chain().index(models.REVISION) - runner.chain().index("0584bdc529eb")
    try:
        with pytest.raises(TrackstoreError) as refused:
            guard.ensure_servable(engine)
    finally:
        engine.dispose()
    assert (
        "is at revision 0584bdc529eb (the head of MLflow 2.18.0 to 2.22.5), "
        f"{behind} revisions behind the revision this trackstore serves, {models.REVISION}"
    ) in str(refused.value)
