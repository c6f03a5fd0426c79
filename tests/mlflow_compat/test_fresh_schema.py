"""A fresh trackstore database is the database MLflow 3.1.4 creates, on every backend.

MLflow builds a new database when its store first opens an empty one (base tables, the whole
chain, then the Default experiment); trackstore creates it from the head models with
`trackstore db upgrade`, and its store adds the Default experiment on opening. Schemas and the
Default row must agree. Run with `/opt/mlflow-ref/bin/pytest`.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from compat import make_engine
from store.tracking.bootstrap import ensure_default_experiment
from tests.cli import run_trackstore
from tests.schema import Snapshot, snapshot

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow")

# Relative, so both sides must make it absolute against the working directory alike.
ARTIFACT_ROOT = "artifact-root"
DEFAULT_ROW = text(
    "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
    "last_update_time FROM experiments"
)
Created = tuple[Snapshot, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def artifact_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def mlflow_created(backend: str, artifact_folder: Path) -> Created:
    """The schema and experiments MLflow 3.1.4 leaves in `backend` when its store opens it."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(artifact_folder)
        store = SqlAlchemyStore(backend, ARTIFACT_ROOT)
    try:
        return picture(store.engine)
    finally:
        store._dispose_engine()
        SqlAlchemyStore._db_uri_sql_alchemy_engine_map.pop(backend, None)


@pytest.fixture
def trackstore_created(
    fresh_backend: str, artifact_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Created]:
    """The same for `trackstore db upgrade` and then a trackstore store opening the database."""
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    monkeypatch.chdir(artifact_folder)
    engine = make_engine(fresh_backend)
    try:
        with engine.begin() as connection:
            ensure_default_experiment(connection, ARTIFACT_ROOT)
        yield picture(engine)
    finally:
        engine.dispose()


def picture(engine: Engine) -> Created:
    with engine.connect() as connection:
        return snapshot(connection), [tuple(row) for row in connection.execute(DEFAULT_ROW)]


def test_fresh_upgrade_gives_mlflows_schema(
    mlflow_created: Created, trackstore_created: Created
) -> None:
    assert trackstore_created[0] == mlflow_created[0]


def test_default_experiment_row_matches_mlflows(
    mlflow_created: Created, trackstore_created: Created
) -> None:
    (ours,), (theirs,) = trackstore_created[1], mlflow_created[1]
    assert ours[:4] == theirs[:4]
    assert ours[4] == ours[5] and ours[4] >= theirs[4]
