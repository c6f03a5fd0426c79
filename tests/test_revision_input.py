"""Revisions the chain does not allow, given or found: one sentence, and the database unchanged."""

import hashlib
import itertools
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from migrations import runner
from migrations.progress import one_line
from tests.cli import run_trackstore

# A revision no release up to MLflow 3.18.0 holds: a database a newer MLflow upgraded.
NEWER_REVISION = "0f1e2d3c4b5a"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def head_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("head") / "template.db"
    assert run_trackstore("db", "upgrade", f"sqlite:///{path}").returncode == 0
    return path


@pytest.fixture
def at_head(head_template: Path, tmp_path: Path) -> Path:
    """A copy of a database `db upgrade` made at head, one per test."""
    return Path(shutil.copy(head_template, tmp_path / "store.db"))


def one_sentence(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert len(stderr.strip().splitlines()) == 1, stderr
    return stderr.strip()


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade"),
        ("db", "upgrade", "--dry-run"),
        ("db", "downgrade", "{uri}", "f5a4f2784254"),
        ("db", "check"),
        ("server", "--port", "1", "--backend-store-uri"),
    ],
)
def test_a_newer_mlflow_revision_is_named(at_head: Path, command: tuple[str, ...]) -> None:
    with sqlite3.connect(at_head) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (NEWER_REVISION,))
    connection.close()
    before = digest(at_head)
    uri = f"sqlite:///{at_head}"
    args = [part.format(uri=uri) for part in command]
    if "{uri}" not in command:
        args.append(uri)
    message = one_sentence(run_trackstore(*args))
    assert f"is at revision {NEWER_REVISION}, which this trackstore does not know" in message
    assert "newer MLflow" in message
    head = runner.head_revision()
    assert f"up to {head}, {runner.in_releases(head)}" in message
    assert digest(at_head) == before


@pytest.mark.parametrize("revision", ["bda7", "heads", "+1", "bda7b8c39065x", "@", "3.1.4"])
@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade", "{uri}", "--revision", "{rev}"),
        ("db", "upgrade", "{uri}", "--dry-run", "--revision", "{rev}"),
        ("db", "downgrade", "{uri}", "{rev}"),
        ("db", "stamp", "{uri}", "{rev}"),
        ("db", "upgrade", "--sql", "--dialect", "sqlite", "--revision", "{rev}"),
        ("db", "upgrade", "--sql", "--dialect", "sqlite", "--from", "{rev}"),
    ],
)
def test_revision_must_be_a_full_id(at_head: Path, command: tuple[str, ...], revision: str) -> None:
    before = digest(at_head)
    args = [part.format(uri=f"sqlite:///{at_head}", rev=revision) for part in command]
    message = one_sentence(run_trackstore(*args))
    assert message == (
        f"error: '{revision}' is not a revision trackstore knows; give a full revision id from "
        "`trackstore db history`, head, or an MLflow release as mlflow-X.Y.Z."
    )
    assert digest(at_head) == before


def test_downgrade_to_a_revision_above_the_current_one(at_head: Path) -> None:
    uri = f"sqlite:///{at_head}"
    assert run_trackstore("db", "downgrade", uri, "f5a4f2784254").returncode == 0
    before = digest(at_head)
    message = one_sentence(run_trackstore("db", "downgrade", uri, "6953534de441"))
    assert "is at revision f5a4f2784254, below 6953534de441" in message
    assert "trackstore db upgrade" in message
    assert digest(at_head) == before


def test_upgrade_to_a_revision_below_the_current_one(at_head: Path) -> None:
    before = digest(at_head)
    message = one_sentence(
        run_trackstore("db", "upgrade", f"sqlite:///{at_head}", "--revision", "f5a4f2784254")
    )
    assert "above f5a4f2784254; `db upgrade` only goes up" in message
    assert digest(at_head) == before


def test_upgrade_refuses_another_applications_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.close()
    before = digest(path)
    message = one_sentence(run_trackstore("db", "upgrade", f"sqlite:///{path}"))
    assert "holds tables (invoices) but not MLflow's" in message
    assert "not an MLflow database" in message
    assert digest(path) == before


def test_downgrade_lines_name_what_was_undone_and_where_it_now_is(at_head: Path) -> None:
    result = run_trackstore("db", "downgrade", f"sqlite:///{at_head}", "f5a4f2784254")
    assert result.returncode == 0, result.stderr
    lines = [re.sub(r" in \d+\.\d+ s$", "", line) for line in result.stdout.splitlines()]
    docs = {script.revision: one_line(script.doc) for script in runner.history()}
    revisions = [script.revision for script in runner.history()]
    chain = list(reversed(revisions[revisions.index("f5a4f2784254") :]))
    assert [line for line in lines if line.startswith("undid ")] == [
        f"undid {undone} ({docs[undone]}), now at {below}"
        for undone, below in itertools.pairwise(chain)
    ]
    assert "f5a4f2784254 (" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("db", "current"),
        ("db", "check"),
        ("db", "upgrade"),
        ("db", "upgrade", "--dry-run"),
        ("db", "downgrade", "{uri}", "f5a4f2784254"),
        ("server", "--port", "1", "--backend-store-uri"),
    ],
)
def test_two_recorded_revisions_are_one_sentence(at_head: Path, command: tuple[str, ...]) -> None:
    """alembic_version holding two rows (written by hand, or by a tool that merged branches)."""
    with sqlite3.connect(at_head) as connection:
        (recorded,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        connection.execute("INSERT INTO alembic_version VALUES ('f5a4f2784254')")
    connection.close()
    before = digest(at_head)
    uri = f"sqlite:///{at_head}"
    args = [part.format(uri=uri) for part in command]
    if "{uri}" not in command:
        args.append(uri)
    message = one_sentence(run_trackstore(*args))
    both = ", ".join(sorted([recorded, "f5a4f2784254"]))
    assert message == (
        f"error: {uri} records 2 revisions ({both}) where one belongs, so trackstore cannot "
        "tell which schema it holds; record the one its schema is at with "
        f"`trackstore db stamp {uri} REV`, then verify it with `trackstore db check {uri}`."
    )
    assert digest(at_head) == before
