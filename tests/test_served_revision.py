"""The store serves the revision its models describe; the chain in migrations/ may go further.

`trackstore db upgrade` with no --revision (and `server --upgrade`, the entrypoint, an empty
SQLite database the server opens) goes to `models.REVISION`; `--revision head` or an id walks
the whole chain. Where a test needs the chain to reach beyond what is served, whatever the
chain holds today, it pins a store one revision lower in-process (`pinned`): its "models" are
the served ones stamped lower, which is all the roads below look at.
"""

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection, Engine

from compat import TrackstoreError, mask_url
from migrations import plan, runner
from migrations.progress import Progress
from store import models
from store.common import guard
from tests.cli import run_trackstore

ORDER = [script.revision for script in runner.history()]
# A revision below the one the store serves, for a store pinned there.
LOWER = ORDER[ORDER.index(models.REVISION) - 1]


class Recorder:
    """A fresh-road creator that records each call and creates the served tables."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, connection: Connection) -> None:
        self.calls += 1
        models.create_all(connection)


@pytest.fixture
def creator() -> Recorder:
    return Recorder()


@pytest.fixture
def pinned(creator: Recorder) -> runner.ServedSchema:
    """A store that serves LOWER, so that the served store's own revision lies beyond it."""
    return runner.ServedSchema(LOWER, lambda: (models.metadata, creator))


@pytest.fixture
def pinned_guard(monkeypatch: pytest.MonkeyPatch, pinned: runner.ServedSchema) -> Iterator[None]:
    """The guard of a store pinned at LOWER."""
    monkeypatch.setattr(models, "SERVED", pinned)
    yield


def recorded(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return runner.current_revision(connection)


def said(lines: list[str]) -> Progress:
    return lines.append


def test_models_name_a_revision_of_the_chain() -> None:
    assert models.SERVED.revision == models.REVISION
    assert runner.known_revision(models.REVISION)


def test_upgrade_without_a_revision_creates_the_served_one(
    fresh_backend: str, fresh_engine: Engine
) -> None:
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    assert f"created the schema at {models.REVISION}" in result.stdout
    assert recorded(fresh_engine) == models.REVISION


def test_upgrade_to_head_walks_the_whole_chain(fresh_backend: str, fresh_engine: Engine) -> None:
    started = run_trackstore("db", "upgrade", fresh_backend, "--revision", "451aebb31d03")
    assert started.returncode == 0, started.stderr
    result = run_trackstore("db", "upgrade", fresh_backend, "--revision", "head")
    assert result.returncode == 0, result.stderr
    assert recorded(fresh_engine) == runner.head_revision()
    assert f"upgraded to {runner.head_revision()}" in result.stdout


@pytest.mark.parametrize("revision", [None, "head"])
def test_offline_sql_ends_at_the_served_revision_unless_asked(revision: str | None) -> None:
    asked = ["--revision", revision] if revision else []
    result = run_trackstore("db", "upgrade", "--sql", "--dialect", "sqlite", *asked)
    assert result.returncode == 0, result.stderr
    recorded = re.findall(r"SET version_num='(\w+)'", result.stdout)
    assert recorded[-1] == (runner.head_revision() if revision else models.REVISION)


def test_fresh_road_creates_the_served_revision(
    fresh_engine: Engine, pinned: runner.ServedSchema, creator: Recorder
) -> None:
    lines: list[str] = []
    runner.upgrade(fresh_engine, progress=said(lines), fresh=pinned)
    assert creator.calls == 1
    assert recorded(fresh_engine) == LOWER
    assert lines[-1] == f"created the schema at {LOWER}"


def test_fresh_road_is_not_taken_to_another_revision(
    fresh_engine: Engine, pinned: runner.ServedSchema, creator: Recorder
) -> None:
    runner.upgrade(fresh_engine, models.REVISION, fresh=pinned)
    assert creator.calls == 0
    assert recorded(fresh_engine) == models.REVISION


def test_upgrade_without_a_revision_leaves_a_database_beyond_the_served_one(
    fresh_engine: Engine, pinned: runner.ServedSchema
) -> None:
    runner.upgrade(fresh_engine, models.REVISION)
    lines: list[str] = []
    runner.upgrade(fresh_engine, progress=said(lines), fresh=pinned)
    assert recorded(fresh_engine) == models.REVISION
    assert lines[-1] == (
        f"the database is at {models.REVISION}, beyond {LOWER}, the revision this trackstore "
        "serves; nothing to do"
    )


def test_an_explicit_revision_below_the_current_one_is_still_refused(
    fresh_engine: Engine, pinned: runner.ServedSchema
) -> None:
    runner.upgrade(fresh_engine, models.REVISION)
    with pytest.raises(TrackstoreError, match="`db upgrade` only goes up"):
        runner.upgrade(fresh_engine, LOWER, fresh=pinned)


def test_plan_goes_to_the_served_revision(
    fresh_engine: Engine, pinned: runner.ServedSchema
) -> None:
    assert plan.make_plan(fresh_engine, fresh=pinned).creates_fresh
    assert plan.make_plan(fresh_engine, fresh=pinned).target == LOWER
    walked = plan.make_plan(fresh_engine, "head", fresh=pinned)
    assert not walked.creates_fresh
    assert [step.revision for step in walked.steps] == ORDER
    runner.upgrade(fresh_engine, models.REVISION)
    assert plan.make_plan(fresh_engine, fresh=pinned).steps == []


@pytest.mark.usefixtures("pinned_guard")
def test_guard_names_a_database_beyond_the_served_revision_as_ahead(
    fresh_engine: Engine,
) -> None:
    runner.upgrade(fresh_engine, "head")
    with pytest.raises(TrackstoreError) as refused:
        guard.ensure_servable(fresh_engine)
    head, release = runner.head_revision(), runner.head_release()
    reach = f"{head} ({release})" if release else head
    assert str(refused.value) == (
        f"{mask_url(fresh_engine.url)} is at revision {reach}, ahead: this trackstore's store "
        f"serves {LOWER}; the chain reaches {reach}; serve it with the MLflow release that "
        f"upgraded it, or restore a backup taken at {LOWER}."
    )


@pytest.mark.usefixtures("pinned_guard")
def test_guard_serves_exactly_the_served_revision(fresh_engine: Engine) -> None:
    runner.upgrade(fresh_engine, LOWER)
    guard.ensure_servable(fresh_engine)


@pytest.mark.usefixtures("pinned_guard")
def test_guard_creates_an_empty_database_at_the_served_revision(fresh_engine: Engine) -> None:
    guard.ensure_servable(fresh_engine, create_if_empty=True)
    assert recorded(fresh_engine) == LOWER


def test_history_marks_the_served_revision_and_the_head() -> None:
    entries = run_trackstore("db", "history").stdout.splitlines()[1:]
    assert [entry.split()[0] for entry in entries] == ORDER
    marked = {
        revision: found.group(1).split(", ")
        for revision, entry in zip(ORDER, entries, strict=True)
        if (found := re.search(r" \(((?:head|served)(?:, served)?)\)$", entry))
    }
    expected: dict[str, list[str]] = {runner.head_revision(): ["head"]}
    expected.setdefault(models.REVISION, []).append("served")
    assert marked == expected


def test_migrations_do_not_import_the_store() -> None:
    """The store hands migrations its revision (`ServedSchema`); nothing flows back."""
    from pathlib import Path

    folder = Path(runner.__file__).parent
    importers = [
        path.name
        for path in folder.rglob("*.py")
        if any(
            line.startswith(("import store", "from store"))
            for line in path.read_text().splitlines()
        )
    ]
    assert importers == []
