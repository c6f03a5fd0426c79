"""`trackstore gc` on every backend: what goes, what stays, refusals, ages and batches."""

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Table, func, select, update

from store.cli import gc, main
from store.cli.gc import GarbageCollector, parse_age
from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from store.common.tables import (
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    inputs,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    metrics,
    params,
    runs,
    tags,
    trace_info,
    trace_request_metadata,
    trace_tags,
)
from store.logged_models.store import LoggedModelStore
from store.traces.trace_infos import TraceStore
from store.tracking.entities import Dataset, DatasetInput, Metric, Tag
from store.tracking.store import TrackingStore
from tests.store.expect import refused

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def collector(store: TrackingStore) -> GarbageCollector:
    return GarbageCollector(store.engine)


def filled_run(store: TrackingStore, experiment_id: str) -> tuple[str, str]:
    """A run with a tag, param, metric, dataset input and a metric on a new logged model."""
    run_id = store.create_run(experiment_id, "me", tags=[Tag("t", "1")]).info.run_id
    model_id = LoggedModelStore(store.engine).create_logged_model(experiment_id).model_id
    store.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 1, 0), Metric("mm", 2.0, 1, 0, model_id=model_id)],
        params=[Tag("p", "1")],
    )
    dataset = Dataset(f"d-{run_id}", "digest", "local", "{}")
    store.log_inputs(run_id, [DatasetInput(dataset, [Tag("mlflow.data.context", "train")])])
    return run_id, model_id


def count(store: TrackingStore, table: Table, column: str, values: list[Any]) -> int:
    with store.session() as session:
        stmt = select(func.count()).select_from(table).where(table.c[column].in_(values))
        return int(session.execute(stmt).scalar_one())


def run_rows(store: TrackingStore, run_id: str) -> dict[str, int]:
    """How many rows hang off `run_id` in each table a run owns."""
    with store.session() as session:
        input_ids: list[str] = list(
            session.execute(
                select(inputs.c.input_uuid).where(inputs.c.destination_id == run_id)
            ).scalars()
        )
    found = {t.name: count(store, t, "run_uuid", [run_id]) for t in (runs, tags, params)}
    found |= {t.name: count(store, t, "run_uuid", [run_id]) for t in (metrics, latest_metrics)}
    found["inputs"] = len(input_ids)
    found["input_tags"] = count(store, input_tags, "input_uuid", input_ids)
    found["logged_model_metrics"] = count(store, logged_model_metrics, "run_id", [run_id])
    return found


def test_a_deleted_run_goes_with_its_rows(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str
) -> None:
    doomed, model_id = filled_run(store, experiment_id)
    kept, _ = filled_run(store, experiment_id)
    store.delete_run(doomed)
    assert all(run_rows(store, doomed).values())
    plan = collector.plan(run_ids=[doomed])
    lines: list[str] = []
    collector.collect(plan, lines.append)
    assert lines == [f"Run with ID {doomed} has been permanently deleted."]
    assert set(run_rows(store, doomed).values()) == {0}
    assert all(run_rows(store, kept).values())
    assert count(store, logged_models, "model_id", [model_id]) == 1
    assert count(store, datasets, "experiment_id", [int(experiment_id)]) == 2


def test_a_deleted_experiment_goes_with_everything_in_it(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str
) -> None:
    run_id, model_id = filled_run(store, experiment_id)
    other = store.create_experiment("gc-bystander")
    bystander, _ = filled_run(store, other)
    LoggedModelStore(store.engine).set_logged_model_tags(model_id, [Tag("a", "b")])
    LoggedModelStore(store.engine).log_logged_model_params(model_id, [Tag("a", "b")])
    trace = TraceStore(store.engine).start_trace(experiment_id, 1, {"m": "1"}, {"t": "1"})
    store.set_experiment_tag(experiment_id, "k", "v")
    store.delete_experiment(experiment_id)
    collector.collect(collector.plan(experiment_ids=[experiment_id]), lambda line: None)
    number = [int(experiment_id)]
    for table in (experiments, experiment_tags, datasets, logged_models, trace_info, runs):
        assert count(store, table, "experiment_id", number) == 0, table.name
    assert set(run_rows(store, run_id).values()) == {0}
    for table in (logged_model_params, logged_model_tags, logged_model_metrics):
        assert count(store, table, "model_id", [model_id]) == 0, table.name
    for table in (trace_tags, trace_request_metadata):
        assert count(store, table, "request_id", [trace.request_id]) == 0, table.name
    assert all(run_rows(store, bystander).values())


def test_without_ids_every_deleted_run_and_experiment_goes(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str, run_id: str
) -> None:
    elsewhere = store.create_experiment("gc-elsewhere")
    loose = store.create_run(elsewhere, "me").info.run_id
    store.delete_run(loose)
    store.delete_experiment(experiment_id)
    plan = collector.plan()
    assert loose in plan.run_ids and run_id not in plan.run_ids
    collector.collect(plan, lambda line: None)
    assert count(store, runs, "run_uuid", [loose, run_id]) == 0
    assert count(store, experiments, "lifecycle_stage", ["deleted"]) == 0


def test_active_runs_and_experiments_are_refused_and_nothing_goes(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str
) -> None:
    deleted = store.create_run(experiment_id, "me").info.run_id
    active = store.create_run(experiment_id, "me").info.run_id
    store.delete_run(deleted)
    error = refused(INVALID_PARAMETER_VALUE, collector.plan, run_ids=[deleted, active])
    assert f"Run {active} is not in the deleted lifecycle stage" in str(error)
    error = refused(INVALID_PARAMETER_VALUE, collector.plan, experiment_ids=[experiment_id])
    assert f"Experiment {experiment_id} is not in the deleted lifecycle stage" in str(error)
    assert count(store, runs, "run_uuid", [deleted, active]) == 2


def test_unknown_ids_are_refused(collector: GarbageCollector) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, collector.plan, run_ids=["f" * 32])
    refused(RESOURCE_DOES_NOT_EXIST, collector.plan, experiment_ids=["987654"])
    refused(RESOURCE_DOES_NOT_EXIST, collector.plan, experiment_ids=["x"])


def test_older_than_keeps_recent_deletions(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id, "me").info.run_id
    store.delete_run(run_id)
    assert run_id not in collector.plan(older_than="1d").run_ids
    refused(INVALID_PARAMETER_VALUE, collector.plan, older_than="1d", run_ids=[run_id])
    with store.session() as session:
        session.execute(update(runs).where(runs.c.run_uuid == run_id).values(deleted_time=DAY_MS))
    assert run_id in collector.plan(older_than="1d").run_ids


def test_older_than_applies_to_experiments(
    store: TrackingStore, collector: GarbageCollector, experiment_id: str
) -> None:
    store.delete_experiment(experiment_id)
    assert int(experiment_id) not in collector.plan(older_than="1h").experiment_ids
    refused(INVALID_PARAMETER_VALUE, collector.plan, "1h", experiment_ids=[experiment_id])
    with store.session() as session:
        session.execute(
            update(experiments)
            .where(experiments.c.experiment_id == int(experiment_id))
            .values(last_update_time=DAY_MS)
        )
    assert collector.plan("1h", experiment_ids=[experiment_id]).experiment_ids == [
        int(experiment_id)
    ]


def test_runs_go_in_batches(
    store: TrackingStore,
    collector: GarbageCollector,
    experiment_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gc, "RUNS_PER_BATCH", 2)
    run_ids = [store.create_run(experiment_id, "me").info.run_id for _ in range(5)]
    for run_id in run_ids:
        store.delete_run(run_id)
    lines: list[str] = []
    collector.collect(gc.Plan(run_ids, []), lines.append)
    assert lines == [f"Run with ID {run_id} has been permanently deleted." for run_id in run_ids]
    assert count(store, runs, "run_uuid", run_ids) == 0


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [("1d2h3m4s", 93_784_000), ("30d", 30 * DAY_MS), ("1.5h", 5_400_000), ("45s", 45_000)],
)
def test_ages_parse_like_mlflow(text: str, milliseconds: int) -> None:
    assert parse_age(text) == milliseconds


@pytest.mark.parametrize("text", ["1w", "2 days", "d1", "1.2.3s", "-1d"])
def test_bad_ages_are_refused(text: str) -> None:
    error = refused(INVALID_PARAMETER_VALUE, parse_age, text)
    assert "Could not parse any time information" in str(error)


def test_the_command_prints_what_it_removed_and_refuses_clearly(
    store: TrackingStore, backend: str, experiment_id: str
) -> None:
    run_id = store.create_run(experiment_id, "me").info.run_id
    active = store.create_run(experiment_id, "me").info.run_id
    store.delete_run(run_id)
    runner = CliRunner()
    bad = runner.invoke(main, ["gc", "--backend-store-uri", backend, "--run-ids", active])
    assert bad.exit_code == 1
    assert "is not in the deleted lifecycle stage" in bad.output
    good = runner.invoke(main, ["gc", "--backend-store-uri", backend, "--run-ids", run_id])
    assert good.exit_code == 0, good.output
    assert f"Run with ID {run_id} has been permanently deleted." in good.output
    assert count(store, runs, "run_uuid", [run_id, active]) == 1


def test_the_command_refuses_a_database_not_at_head(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(main, ["gc", "--backend-store-uri", uri])
    assert result.exit_code == 1
    assert "error:" in result.output and "empty" in result.output


def artifact_folder(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def test_the_command_removes_the_artifacts_of_the_runs_it_removes_and_says_so(
    store: TrackingStore, backend: str, tmp_path: Path
) -> None:
    destination = tmp_path / "mlartifacts"
    proxied = store.create_experiment(
        f"gc-proxied-{tmp_path.name}", artifact_location="mlflow-artifacts:/gc-proxied"
    )
    local = store.create_experiment(f"gc-local-{tmp_path.name}")
    doomed = store.create_run(proxied, "me").info
    kept = store.create_run(proxied, "me").info
    doomed_local = store.create_run(local, "me").info
    assert doomed.artifact_uri == f"mlflow-artifacts:/gc-proxied/{doomed.run_id}/artifacts"
    doomed_folder = destination / "gc-proxied" / doomed.run_id / "artifacts"
    kept_folder = destination / "gc-proxied" / kept.run_id / "artifacts"
    local_folder = Path(str(doomed_local.artifact_uri).removeprefix("file://"))
    artifact_folder(doomed_folder, {"a.txt": b"x" * 1000, "model/MLmodel": b"y" * 500})
    artifact_folder(kept_folder, {"a.txt": b"kept"})
    artifact_folder(local_folder, {"f.bin": bytes(2 * 1024 * 1024)})
    store.delete_run(doomed.run_id)
    store.delete_run(doomed_local.run_id)
    result = CliRunner().invoke(
        main,
        [
            "gc", "--backend-store-uri", backend, "--artifacts-destination", str(destination),
            "--run-ids", f"{doomed.run_id},{doomed_local.run_id}",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "Removed 2 runs and 0 experiments permanently, and 3 artifact files (2.0 MiB)."
    )
    assert not doomed_folder.exists()
    assert not local_folder.exists()
    assert (kept_folder / "a.txt").read_bytes() == b"kept"


def test_the_command_says_when_no_artifact_files_were_found(
    store: TrackingStore, backend: str, experiment_id: str, tmp_path: Path
) -> None:
    store.delete_experiment(experiment_id)
    result = CliRunner().invoke(
        main,
        ["gc", "--backend-store-uri", backend, "--artifacts-destination", str(tmp_path),
         "--experiment-ids", experiment_id],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Without --run-ids every deleted run goes too; earlier tests leave some without files.
    assert re.fullmatch(
        r"Removed \d+ runs? and 1 experiment permanently; no artifact files were found to remove\.",
        result.output.splitlines()[-1],
    )
