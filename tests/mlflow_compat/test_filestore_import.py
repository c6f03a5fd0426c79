"""`trackstore db import-filestore` against MLflow 3.18.0 itself.

MLflow's client writes a file store; trackstore imports it; then MLflow's FileStore over the
folder and MLflow's SqlAlchemyStore over the database must give the same experiments, runs,
metric histories, logged models, registered models, versions and aliases. On SQLite the rows
must also be those `mlflow migrate-filestore` writes from the same folder. The differences
MLflow's SQL store itself brings are applied to the file store's side: infinities become the
largest double, and alias versions are numbers. Run with `/opt/mlflow-318/bin/pytest`.
"""

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from store.filestore_import.sinks import SOURCE_ID_TAG
from tests.cli import run_trackstore
from tests.filestore_rows import table_rows

pytestmark = pytest.mark.mlflow_compat
mlflow = pytest.importorskip("mlflow", minversion="3.18")
LARGEST_DOUBLE = sys.float_info.max
CHECKOUT = Path(__file__).resolve().parents[2]
# Environments of older MLflow releases that write file stores of their own layout.
OLDER_RELEASES = {
    "3.1.4": os.environ.get("MLFLOW_314_PYTHON", "/opt/mlflow-ref/bin/python"),
    "2.x": os.environ.get("MLFLOW_2_PYTHON", ""),
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("filestore") / "mlruns"
    write_filestore(sys.executable, root)
    return root


def write_filestore(python: str, root: Path) -> None:
    """`build_filestore` run by `python` in a process of its own: MLflow's client keeps the
    tracking and registry URIs and the active experiment in globals and the environment, which
    the later tests of this process must not inherit."""
    build = (
        "import sys, pathlib, tests.filestore_source as s; "
        "s.build_filestore(pathlib.Path(sys.argv[1]))"
    )
    subprocess.run(
        [python, "-c", build, str(root)],
        check=True,
        capture_output=True,
        cwd=CHECKOUT,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
    )


@pytest.fixture(scope="module")
def imported(source: Path, backend: str) -> str:
    result = run_trackstore("db", "import-filestore", str(source), backend)
    assert result.returncode == 0, result.stderr
    return backend


@pytest.fixture(scope="module")
def stores(source: Path, imported: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from mlflow.store.model_registry.file_store import FileStore as RegistryFiles
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistrySql
    from mlflow.store.tracking.file_store import FileStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts = str(tmp_path_factory.mktemp("artifacts"))
    sql = SqlAlchemyStore(imported, artifacts)
    registry = RegistrySql(imported)
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        yield (FileStore(str(source)), sql), (RegistryFiles(str(source)), registry)
    for store in (sql, registry):
        store.engine.dispose()
    SqlAlchemyStore._engine_map.clear()


def test_experiments_are_the_file_stores(stores: Any) -> None:
    files, sql = stores[0]
    assert _experiments(sql) == _experiments(files)
    assert len(_experiments(files)) == 4


def test_runs_are_the_file_stores(stores: Any) -> None:
    files, sql = stores[0]
    theirs, ours = _runs(files), _runs(sql)
    assert ours == theirs
    assert len(theirs) == 5
    first = next(run for run in theirs.values() if run["name"] == "first")
    assert len(first["params"]["long"]) == 6000
    assert first["datasets"] and first["model_inputs"]


def test_metric_histories_are_the_file_stores(stores: Any) -> None:
    files, sql = stores[0]
    for run_id, run in _runs(files).items():
        for key in run["metrics"]:
            assert _history(sql, run_id, key) == _history(files, run_id, key), (run_id, key)
    first = next(run_id for run_id, run in _runs(files).items() if run["name"] == "first")
    assert len(_history(files, first, "loss")) == 40
    assert [point[2] for point in _history(sql, first, "odd")] == [
        "nan",
        LARGEST_DOUBLE,
        -LARGEST_DOUBLE,
    ]


def test_logged_models_are_the_file_stores(stores: Any) -> None:
    files, sql = stores[0]
    theirs, ours = _logged_models(files), _logged_models(sql)
    assert ours == theirs
    assert [model["params"] for model in theirs] == [{"depth": "3"}]


def test_registry_is_the_file_stores(stores: Any) -> None:
    files, sql = stores[1]
    assert _registry(sql) == _registry(files)
    classifier = _registry(files)["classifier"]
    assert classifier["aliases"] == {"champion": 1, "challenger": 2}
    assert [v["current_stage"] for v in classifier["versions"]] == ["Production", "Staging"]


def test_traces_are_the_file_stores(stores: Any, source: Path) -> None:
    files, sql = stores[0]
    trace_ids = [folder.name for folder in source.glob("*/traces/*")]
    assert len(trace_ids) == 1
    for trace_id in trace_ids:
        assert _trace(sql, trace_id) == _trace(files, trace_id)
    assert len(_trace(files, trace_ids[0])["assessments"]) == 2


@pytest.mark.backends("sqlite")
def test_rows_are_those_mlflow_migrate_filestore_writes(
    source: Path, imported: str, tmp_path: Path
) -> None:
    theirs = f"sqlite:///{tmp_path / 'migrated.db'}"
    mlflow_command = Path(sys.executable).parent / "mlflow"
    subprocess.run(
        [str(mlflow_command), "migrate-filestore", "--source", str(source), "--target", theirs],
        check=True,
        capture_output=True,
    )
    ours_rows, their_rows = table_rows(create_engine(imported)), table_rows(create_engine(theirs))
    # MLflow's migrate-filestore reads assessment times and expectation values from fields
    # its file store does not write (0 and null); test_traces compares them through the stores.
    ours_rows.pop("assessments"), their_rows.pop("assessments")
    assert ours_rows == their_rows
    assert len(ours_rows["metrics"]) == 51


def test_a_second_import_adds_nothing(source: Path, imported: str) -> None:
    before = table_rows(create_engine(imported))
    result = run_trackstore("db", "import-filestore", str(source), imported)
    assert result.returncode == 0, result.stderr
    assert table_rows(create_engine(imported)) == before


@pytest.mark.parametrize("release", sorted(OLDER_RELEASES))
def test_a_file_store_of_an_older_mlflow_reads_back_alike(
    release: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.store.model_registry.file_store import FileStore as RegistryFiles
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistrySql
    from mlflow.store.tracking.file_store import FileStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    python = OLDER_RELEASES[release]
    if not Path(python).is_file():
        pytest.skip(f"no MLflow {release} environment (set MLFLOW_2_PYTHON to its python)")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root, target = tmp_path / "mlruns", f"sqlite:///{tmp_path / 'imported.db'}"
    write_filestore(python, root)
    result = run_trackstore("db", "import-filestore", str(root), target)
    assert result.returncode == 0, result.stderr
    files, sql = FileStore(str(root)), SqlAlchemyStore(target, str(tmp_path / "artifacts"))
    try:
        assert _experiments(sql) == _experiments(files)
        assert _runs(sql) == _runs(files)
        for run_id, run in _runs(files).items():
            for key in run["metrics"]:
                assert _history(sql, run_id, key) == _history(files, run_id, key)
        assert _logged_models(sql) == _logged_models(files)
        for trace in root.glob("*/traces/*"):
            assert _trace(sql, trace.name) == _trace(files, trace.name)
        registry = RegistrySql(target)
        assert _registry(registry) == _registry(RegistryFiles(str(root)))
    finally:
        sql.engine.dispose()
        SqlAlchemyStore._engine_map.clear()


def _experiments(store: Any) -> dict[str, dict[str, Any]]:
    from mlflow.entities import ViewType

    found = {}
    for experiment in store.search_experiments(view_type=ViewType.ALL):
        tags = dict(experiment.tags)
        found[experiment.name] = {
            "id": tags.pop(SOURCE_ID_TAG, experiment.experiment_id),
            "artifact_location": experiment.artifact_location,
            "lifecycle_stage": experiment.lifecycle_stage,
            "creation_time": experiment.creation_time,
            "last_update_time": experiment.last_update_time,
            "tags": tags,
        }
    return found


def _runs(store: Any) -> dict[str, dict[str, Any]]:
    from mlflow.entities import ViewType

    names = {e.experiment_id: e.name for e in store.search_experiments(view_type=ViewType.ALL)}
    runs = store.search_runs(list(names), "", ViewType.ALL, max_results=1000)
    # get_run: MLflow's SQL store leaves model inputs out of search results.
    return {run.info.run_id: _run(store.get_run(run.info.run_id), names) for run in runs}


def _run(run: Any, names: dict[str, str]) -> dict[str, Any]:
    info, inputs = run.info, run.inputs
    datasets = sorted(
        (
            d.dataset.name,
            d.dataset.digest,
            d.dataset.source_type,
            d.dataset.source,
            d.dataset.schema,
            d.dataset.profile,
            sorted((t.key, t.value) for t in d.tags),
        )
        for d in inputs.dataset_inputs
    )
    return {
        "experiment": names[info.experiment_id],
        "name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "user_id": info.user_id,
        "params": run.data.params,
        "tags": run.data.tags,
        "metrics": {key: _value(value) for key, value in run.data.metrics.items()},
        "datasets": datasets,
        "model_inputs": sorted(m.model_id for m in inputs.model_inputs),
        "outputs": sorted((o.model_id, o.step) for o in run.outputs.model_outputs)
        if run.outputs
        else [],
    }


def _value(value: float) -> float | str:
    """A metric value as MLflow's SQL store gives it back, NaN made comparable."""
    if math.isnan(value):
        return "nan"
    return max(-LARGEST_DOUBLE, min(LARGEST_DOUBLE, value))


def _history(store: Any, run_id: str, key: str) -> list[tuple[int, int, float | str]]:
    points = store.get_metric_history(run_id, key)
    return sorted((m.step, m.timestamp, _value(m.value)) for m in points)


def _logged_models(store: Any) -> list[dict[str, Any]]:
    from mlflow.entities import ViewType

    names = {e.experiment_id: e.name for e in store.search_experiments(view_type=ViewType.ALL)}
    found = []
    for model in store.search_logged_models(experiment_ids=list(names)):
        found.append(
            {
                "model_id": model.model_id,
                "experiment": names[model.experiment_id],
                "name": model.name,
                "source_run_id": model.source_run_id,
                "status": str(model.status),
                "artifact_location": model.artifact_location,
                "creation_timestamp": model.creation_timestamp,
                "last_updated_timestamp": model.last_updated_timestamp,
                "params": model.params,
                "tags": model.tags,
                "metrics": sorted(
                    (m.key, m.value, m.step, m.timestamp, m.run_id) for m in model.metrics or []
                ),
            }
        )
    return sorted(found, key=lambda model: model["model_id"])


def _trace(store: Any, trace_id: str) -> dict[str, Any]:
    info = store.get_trace_info(trace_id).to_dict()
    # By name: an experiment keeps its id only where the database's id column holds it.
    location = info.pop("trace_location")["mlflow_experiment"]
    info["experiment"] = store.get_experiment(location["experiment_id"]).name
    info["assessments"] = sorted(
        ({"valid": True, **a} for a in info.get("assessments", [])),
        key=lambda a: a["assessment_id"],
    )
    return info


def _aliases(aliases: Any) -> dict[str, int]:
    """A registered model's aliases: a mapping in MLflow's FileStore, entities in its SQL store."""
    if isinstance(aliases, dict):
        return {alias: int(version) for alias, version in aliases.items()}
    pairs = ((a.alias, a.version) for a in aliases)
    return {alias: int(version) for alias, version in pairs}


def _registry(store: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for model in store.search_registered_models(max_results=1000):
        found_versions = store.search_model_versions(f"name='{model.name}'", max_results=1000)
        # get_model_version: MLflow's SQL store leaves aliases out of search results.
        versions = [store.get_model_version(model.name, v.version) for v in found_versions]
        found[model.name] = {
            "description": model.description,
            "creation_timestamp": model.creation_timestamp,
            "last_updated_timestamp": model.last_updated_timestamp,
            "tags": model.tags,
            "aliases": _aliases(model.aliases),
            "versions": sorted(
                (
                    {
                        "version": int(v.version),
                        "current_stage": v.current_stage,
                        "source": v.source,
                        "run_id": v.run_id,
                        "status": v.status,
                        "tags": v.tags,
                        "aliases": sorted(v.aliases),
                        "creation_timestamp": v.creation_timestamp,
                        "last_updated_timestamp": v.last_updated_timestamp,
                        "description": v.description,
                    }
                    for v in versions
                ),
                key=lambda v: v["version"],
            ),
        }
    return found
