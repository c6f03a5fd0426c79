"""The head models create what MLflow 3.18.0 creates for a new database, on every backend.

MLflow builds a new database when its store first opens an empty one: its base tables, then
its whole chain of revisions. trackstore's fresh road creates the head models in one go; both
must end in the same tables, keys, indexes, checks, triggers and functions. Run with MLflow
3.18's environment (`/opt/mlflow-318/bin/pytest`).
"""

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from store import models
from tests.head_schema import routines
from tests.schema import Snapshot, snapshot

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow", minversion="3.18")

Picture = tuple[Snapshot, list[tuple[str, ...]]]


def picture(engine: Engine) -> Picture:
    """The schema without alembic_version (stamping writes that, not the models)."""
    with engine.connect() as connection:
        tables = snapshot(connection)
        tables.pop("alembic_version", None)
        return tables, routines(connection)


@pytest.fixture(scope="module")
def mlflow_created(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Picture:
    """What MLflow 3.18.0's store leaves in `backend` when it opens it empty."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts: Path = tmp_path_factory.mktemp("artifacts")
    store = SqlAlchemyStore(backend, str(artifacts))
    try:
        return picture(store.engine)
    finally:
        store.engine.dispose()


def test_head_models_create_mlflows_tables(mlflow_created: Picture, fresh_engine: Engine) -> None:
    with fresh_engine.begin() as connection:
        models.create_all(connection)
    assert picture(fresh_engine)[0] == mlflow_created[0]


def test_head_models_create_mlflows_triggers_and_functions(
    mlflow_created: Picture, fresh_engine: Engine
) -> None:
    with fresh_engine.begin() as connection:
        models.create_all(connection)
    assert picture(fresh_engine)[1] == mlflow_created[1]
    assert mlflow_created[1], "MLflow 3.18.0 protects its secrets with a trigger"
