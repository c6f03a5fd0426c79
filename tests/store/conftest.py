"""Fixtures for store tests: a tracking store over a fresh head database per test module."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat import make_engine
from store.tracking.store import TrackingStore
from tests.store.fresh import create_fresh_schema


@pytest.fixture(scope="module")
def store(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingStore]:
    """A TrackingStore on this module's database, created by the fresh road at head."""
    engine = make_engine(backend)
    create_fresh_schema(engine)
    artifacts: Path = tmp_path_factory.mktemp("artifacts")
    yield TrackingStore(engine, str(artifacts))
    engine.dispose()


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    """A new, empty experiment of its own for one test."""
    return store.create_experiment(f"exp-{uuid.uuid4().hex}")


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    """A new RUNNING run of its own for one test."""
    return store.create_run(experiment_id, user_id="tester", start_time=1000).info.run_id
