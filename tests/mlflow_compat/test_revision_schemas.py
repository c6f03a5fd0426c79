"""After every revision, trackstore's schema is MLflow 3.18.0's, on every available backend.

One pair of databases per backend walks the whole chain side by side, a step per test: the
`backend` database with trackstore, its twin on the same server with MLflow itself.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from compat import make_engine
from migrations import base_schema, runner
from tests.mlflow_reference import mlflow_upgrade
from tests.schema import snapshot
from tests.twins import twin_database

pytestmark = pytest.mark.mlflow_compat

BASE = "base"
STEPS = [BASE, *(script.revision for script in runner.history())]
# MLflow's revision that adds the chain's first trigger.
SECRETS_REVISION = "1bd49d398cd23"


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


def test_mlflows_first_trigger_is_compared(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """MLflow's secrets revision adds a trigger (run by a function on PostgreSQL): the
    snapshots the walk compares hold them, so a revision that left them out would fail."""
    with twin_database(backend, tmp_path_factory) as uri:
        mlflow_upgrade(uri, SECRETS_REVISION)
        engine = create_engine(uri)
        try:
            tables = snapshot(engine)
        finally:
            engine.dispose()
    ((name, when, _),) = tables["secrets"]["triggers"]
    assert (name, when) == ("prevent_secrets_aad_mutation", "BEFORE UPDATE")
    functions = [name for name, entry in tables.items() if entry.get("kind") == "function"]
    runs_a_function = backend.startswith("postgresql")
    assert functions == (["prevent_secrets_aad_mutation()"] if runs_a_function else [])
