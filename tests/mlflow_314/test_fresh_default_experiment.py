"""The Default experiment of a fresh database is the row MLflow 3.1.4's store writes.

MLflow's store adds the Default experiment (id 0) when it first opens an empty database;
trackstore's store does the same once `trackstore db upgrade` has created the schema. The row's
id, name, artifact location (made absolute against the working directory alike) and stage must
agree, and its times be a fresh clock reading. Run with `/opt/mlflow-ref/bin/pytest`.
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

pytestmark = pytest.mark.mlflow_314
pytest.importorskip("mlflow")

# Relative, so both sides must make it absolute against the working directory alike.
ARTIFACT_ROOT = "artifact-root"
DEFAULT_ROW = text(
    "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
    "last_update_time FROM experiments"
)
Row = tuple[Any, ...]


@pytest.fixture(scope="module")
def artifact_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def mlflow_created(backend: str, artifact_folder: Path) -> list[Row]:
    """The experiments MLflow 3.1.4 leaves in `backend` when its store opens it empty."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(artifact_folder)
        store = SqlAlchemyStore(backend, ARTIFACT_ROOT)
    try:
        return experiments(store.engine)
    finally:
        store._dispose_engine()
        SqlAlchemyStore._db_uri_sql_alchemy_engine_map.pop(backend, None)


@pytest.fixture
def trackstore_created(
    fresh_backend: str, artifact_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Row]]:
    """The same for `trackstore db upgrade` and then a trackstore store opening the database."""
    result = run_trackstore("db", "upgrade", fresh_backend)
    assert result.returncode == 0, result.stderr
    monkeypatch.chdir(artifact_folder)
    engine = make_engine(fresh_backend)
    try:
        with engine.begin() as connection:
            ensure_default_experiment(connection, ARTIFACT_ROOT)
        yield experiments(engine)
    finally:
        engine.dispose()


def experiments(engine: Engine) -> list[Row]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(DEFAULT_ROW)]


def test_default_experiment_row_matches_mlflows(
    mlflow_created: list[Row], trackstore_created: list[Row]
) -> None:
    (ours,), (theirs,) = trackstore_created, mlflow_created
    assert ours[:4] == theirs[:4]
    assert ours[4] == ours[5] and ours[4] >= theirs[4]
