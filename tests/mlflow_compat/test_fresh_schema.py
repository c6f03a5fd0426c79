"""A fresh trackstore database is the database MLflow 3.18.0 has at the same revision.

MLflow builds a new database when its store first opens an empty one: its base tables, then its
chain. trackstore creates an empty database from the models of the revision its store serves
(`trackstore db upgrade`, the fresh road); MLflow walks its own chain to that revision beside it.
The schemas, triggers and functions included, must agree on every backend. (MLflow's Default
experiment row is compared in tests/mlflow_314, where the store's MLflow is.)
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from compat import make_engine
from migrations import runner
from store import models
from tests.cli import run_trackstore
from tests.mlflow_reference import mlflow_upgrade
from tests.schema import Snapshot, snapshot
from tests.twins import twin_database

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow")


@pytest.fixture
def mlflow_schema(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """The schema MLflow 3.18.0 leaves at the served revision on an empty database."""
    with twin_database(backend, tmp_path_factory) as uri:
        mlflow_upgrade(uri, models.REVISION)
        engine = create_engine(uri)
        try:
            yield snapshot(engine)
        finally:
            engine.dispose()


def trackstore_schema(uri: str) -> tuple[str, Snapshot]:
    result = run_trackstore("db", "upgrade", uri)
    assert result.returncode == 0, result.stderr
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            return str(runner.current_revision(connection)), snapshot(connection)
    finally:
        engine.dispose()


def test_fresh_upgrade_gives_mlflows_schema(fresh_backend: str, mlflow_schema: Snapshot) -> None:
    revision, schema = trackstore_schema(fresh_backend)
    assert revision == models.REVISION
    assert schema == mlflow_schema
