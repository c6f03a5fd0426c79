"""One database, two programs, at MLflow 3.18.0's head: what trackstore's stores write there,
MLflow 3.18.0's stores read back the same, and what MLflow 3.18.0 writes, trackstore's read the
same (experiments and their tags, runs, the registry with tags and aliases, logged models).

Both programs' stores are what their servers answer from, so each can serve the other's
database. Run with MLflow 3.18's environment (`/opt/mlflow-318/bin/pytest`).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from compat import make_engine
from store import models
from store.logged_models.store import LoggedModelStore
from store.registry.store import RegistryStore
from store.tracking.bootstrap import ensure_default_experiment
from store.tracking.entities import Metric, Tag
from store.tracking.store import TrackingStore

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow", minversion="3.18")

MLFLOW_HEAD = "f4a9b2c7d1e6"
LONG_TAG = "ü" * 20_000
View = dict[str, Any]
Ids = tuple[str, str, str]


def trackstore_database(uri: str, artifacts: Path) -> None:
    """The fresh road: the head models, stamped with MLflow 3.18.0's head, and Default."""
    engine = make_engine(uri)
    try:
        with engine.begin() as connection:
            models.create_all(connection)
            connection.execute(
                text(
                    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                )
            )
            connection.execute(text(f"INSERT INTO alembic_version VALUES ('{MLFLOW_HEAD}')"))
            ensure_default_experiment(connection, str(artifacts))
    finally:
        engine.dispose()


def write_with_trackstore(uri: str, artifacts: Path) -> Ids:
    engine = make_engine(uri)
    try:
        tracking = TrackingStore(engine, str(artifacts))
        experiment_id = tracking.create_experiment(
            "interop", tags=[Tag("team", "a"), Tag("long", LONG_TAG)]
        )
        run_id = tracking.create_run(experiment_id, "u", 1000, run_name="r").info.run_id
        tracking.log_batch(
            run_id, [Metric("loss", 0.5, 2000, 1)], [Tag("lr", "0.1")], [Tag("t", "v")]
        )
        registry = RegistryStore(engine)
        registry.create_registered_model("interop-model", [Tag("k", "v")], "d")
        registry.create_model_version("interop-model", "s3://b/m", run_id, [Tag("n", "1")])
        registry.set_registered_model_alias("interop-model", "champion", 1)
        logged = LoggedModelStore(engine).create_logged_model(
            experiment_id, name="lm", source_run_id=run_id
        )
        return experiment_id, run_id, logged.model_id
    finally:
        engine.dispose()


def read_with_trackstore(uri: str, artifacts: Path, ids: Ids) -> View:
    experiment_id, run_id, model_id = ids
    engine = make_engine(uri)
    try:
        tracking, registry = TrackingStore(engine, str(artifacts)), RegistryStore(engine)
        experiment = tracking.get_experiment(experiment_id)
        run = tracking.get_run(run_id)
        model = registry.get_registered_model("interop-model")
        version = registry.get_model_version_by_alias("interop-model", "champion")
        logged = LoggedModelStore(engine).get_logged_model(model_id)
        return {
            "experiment": (experiment.name, {t.key: t.value for t in experiment.tags}),
            "run": (
                run.info.run_name,
                run.info.user_id,
                run.info.status,
                {p.key: p.value for p in run.data.params},
                {m.key: (m.value, m.step) for m in run.data.metrics},
                {t.key: t.value for t in run.data.tags if t.key == "t"},
            ),
            "model": (model.description, model.tags, model.aliases),
            "version": (version.version, version.source, version.run_id, version.tags),
            "logged": (logged.name, logged.source_run_id, logged.experiment_id),
        }
    finally:
        engine.dispose()


def write_with_mlflow(uri: str, artifacts: Path) -> Ids:
    from mlflow.entities import ExperimentTag, Param, RunTag
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag

    tracking, registry = mlflow_stores(uri, artifacts)
    experiment_id = tracking.create_experiment(
        "interop", tags=[ExperimentTag("team", "a"), ExperimentTag("long", LONG_TAG)]
    )
    run_id = tracking.create_run(experiment_id, "u", 1000, [], "r").info.run_id
    tracking.log_batch(
        run_id, [MlflowMetric("loss", 0.5, 2000, 1)], [Param("lr", "0.1")], [RunTag("t", "v")]
    )
    registry.create_registered_model("interop-model", [RegisteredModelTag("k", "v")], "d")
    registry.create_model_version("interop-model", "s3://b/m", run_id, [ModelVersionTag("n", "1")])
    registry.set_registered_model_alias("interop-model", "champion", "1")
    logged = tracking.create_logged_model(experiment_id, name="lm", source_run_id=run_id)
    return experiment_id, run_id, logged.model_id


def read_with_mlflow(uri: str, artifacts: Path, ids: Ids) -> View:
    experiment_id, run_id, model_id = ids
    tracking, registry = mlflow_stores(uri, artifacts)
    experiment = tracking.get_experiment(experiment_id)
    run = tracking.get_run(run_id)
    model = registry.get_registered_model("interop-model")
    version = registry.get_model_version_by_alias("interop-model", "champion")
    logged = tracking.get_logged_model(model_id)
    return {
        "experiment": (experiment.name, dict(experiment.tags)),
        "run": (
            run.info.run_name,
            run.info.user_id,
            run.info.status,
            dict(run.data.params),
            {m.key: (m.value, m.step) for m in run.data._metric_objs},
            {k: v for k, v in run.data.tags.items() if k == "t"},
        ),
        "model": (
            model.description,
            dict(model.tags),
            {alias: int(version) for alias, version in model.aliases.items()},
        ),
        "version": (int(version.version), version.source, version.run_id, dict(version.tags)),
        "logged": (logged.name, logged.source_run_id, str(logged.experiment_id)),
    }


def mlflow_stores(uri: str, artifacts: Path) -> tuple[Any, Any]:
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistrySqlStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    return SqlAlchemyStore(uri, str(artifacts)), RegistrySqlStore(uri)


Writer = Callable[[str, Path], Ids]
Reader = Callable[[str, Path, Ids], View]


@pytest.mark.parametrize(
    ("write", "read_back"),
    [
        (write_with_trackstore, read_with_mlflow),
        (write_with_mlflow, read_with_trackstore),
    ],
    ids=["trackstore writes, MLflow reads", "MLflow writes, trackstore reads"],
)
def test_each_reads_what_the_other_wrote(
    fresh_backend: str, tmp_path: Path, write: Writer, read_back: Reader
) -> None:
    if write is write_with_trackstore:
        trackstore_database(fresh_backend, tmp_path)
    ids = write(fresh_backend, tmp_path)
    own = (read_with_trackstore if write is write_with_trackstore else read_with_mlflow)(
        fresh_backend, tmp_path, ids
    )
    assert read_back(fresh_backend, tmp_path, ids) == own
    assert own["experiment"][1]["long"] == LONG_TAG
