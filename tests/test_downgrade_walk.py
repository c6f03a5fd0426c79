"""Each downgrade gives back the schema its revision found, all the way down the chain."""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from compat import TrackstoreError, make_engine
from migrations import runner
from tests.schema import Snapshot, snapshot


@pytest.fixture(scope="module")
def engine(backend: str) -> Iterator[Engine]:
    engine = make_engine(backend)
    yield engine
    engine.dispose()


def walk_up(engine: Engine) -> dict[str, Snapshot]:
    """The schema after each revision, walking up from an empty database."""
    schemas = {}
    for script in runner.history():
        runner.upgrade(engine, script.revision)
        schemas[script.revision] = snapshot(engine)
    return schemas


def test_each_downgrade_restores_the_schema_below_it(engine: Engine) -> None:
    """Down from head one step at a time, until a revision that says it cannot go down."""
    schemas = walk_up(engine)
    for script in reversed(runner.history()):
        below = script.down_revision
        if getattr(script.module, "NOT_DOWNGRADABLE", None) or not isinstance(below, str):
            break
        runner.downgrade(engine, below)
        assert snapshot(engine) == schemas[below], f"downgrade from {script.revision}"
    else:
        pytest.fail("every revision went down, yet the first cannot")
    with pytest.raises(TrackstoreError, match=f"Revision {script.revision} cannot be downgraded"):
        runner.downgrade(engine, "base")
    assert snapshot(engine) == schemas[script.revision]
