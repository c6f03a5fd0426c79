"""Small file stores written file by file, as MLflow 1.x laid them out, for the import tests
that run without MLflow: integer experiment ids in meta.yaml, no run_name (the name is the
mlflow.runName tag), real source types, and metric lines without a step."""

from pathlib import Path

import yaml


def write_experiment(root: Path, experiment_id: int, name: str, deleted: bool = False) -> Path:
    folder = root / (".trash" if deleted else "") / str(experiment_id)
    folder.mkdir(parents=True)
    meta = {
        "artifact_location": f"{root.as_uri()}/{experiment_id}",
        "experiment_id": experiment_id,
        "lifecycle_stage": "deleted" if deleted else "active",
        "name": name,
    }
    (folder / "meta.yaml").write_text(yaml.safe_dump(meta))
    return folder


def write_run(experiment: Path, run_id: str, metrics: dict[str, int] | None = None) -> Path:
    """A finished run with two params, a name tag and, per metric key, that many points."""
    folder = experiment / run_id
    folder.mkdir()
    meta = {
        "artifact_uri": f"{experiment.as_uri()}/{run_id}/artifacts",
        "end_time": 2000,
        "entry_point_name": "",
        "experiment_id": int(experiment.name),
        "lifecycle_stage": "active",
        "name": "",
        "run_uuid": run_id,
        "source_name": "train.py",
        "source_type": 4,
        "source_version": "abc123",
        "start_time": 1000,
        "status": 3,
        "tags": [],
        "user_id": "ana",
    }
    (folder / "meta.yaml").write_text(yaml.safe_dump(meta))
    _values(folder / "params", {"lr": "0.1", "layers": "3"})
    _values(folder / "tags", {"mlflow.runName": f"run-{run_id[:6]}"})
    for key, points in (metrics or {"loss": 3}).items():
        lines = "".join(f"{1000 + step} {1.0 / (step + 1)!r}\n" for step in range(points))
        _values(folder / "metrics", {key: lines})
    return folder


def build_small(root: Path) -> None:
    """Two experiments (one deleted) with a run each."""
    write_run(write_experiment(root, 0, "Default"), "a" * 32)
    write_run(write_experiment(root, 7, "old", deleted=True), "b" * 32)


def build_large(root: Path, experiments: int, runs: int, points: int) -> None:
    """`experiments` x `runs` runs, each with two metrics of `points` points."""
    for number in range(experiments):
        folder = write_experiment(root, number + 1, f"exp-{number}")
        for run in range(runs):
            write_run(folder, f"{number:04d}{run:028d}", {"loss": points, "acc": points})


def _values(folder: Path, values: dict[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    for key, value in values.items():
        (folder / key).write_text(value)
