"""After every revision, trackstore's schema is MLflow 3.1.4's, on every available backend.

One pair of databases per backend walks the whole chain side by side, a step per test: the
`backend` database with trackstore, its twin on the same server with MLflow itself.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from compat import make_engine
from migrations import base_schema, runner
from tests.mlflow_compat.reference import mlflow_upgrade
from tests.mlflow_compat.twins import twin_database
from tests.schema import snapshot

pytestmark = pytest.mark.mlflow_compat

BASE = "base"
STEPS = [BASE, *(script.revision for script in runner.history())]


@pytest.fixture(scope="module")
def ours(backend: str) -> Iterator[Engine]:
    engine = make_engine(backend)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def theirs(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with twin_database(backend, tmp_path_factory) as uri:
        engine = create_engine(uri)
        yield engine
        engine.dispose()


@pytest.mark.parametrize("revision", STEPS)
def test_schema_matches_mlflow(revision: str, ours: Engine, theirs: Engine) -> None:
    if revision == BASE:
        from mlflow.store.tracking.dbmodels.initial_models import Base

        base_schema.metadata.create_all(ours)
        Base.metadata.create_all(theirs)
    else:
        runner.upgrade(ours, revision)
        mlflow_upgrade(theirs.url.render_as_string(hide_password=False), revision)
    assert snapshot(ours) == snapshot(theirs)
