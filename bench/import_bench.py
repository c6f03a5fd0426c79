"""Importing a file store: `trackstore db import-filestore` against `mlflow migrate-filestore`.

A file store of RUNS runs (default 1,000) in one experiment, each with 50 params and 20
metrics of 100 steps (2M metric points at the default), laid out as MLflow 3.x writes it, is
imported into new SQLite databases by both tools in this run, each in a process of its own,
with wall time, rate and the process's peak memory printed; then by trackstore into the
PostgreSQL server given with --postgresql. MLflow 3.18.0 runs from MLFLOW_COMMAND
(default /opt/mlflow-318/bin/mlflow).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from compat.databases import create_database, drop_database

MLFLOW_COMMAND = os.environ.get("MLFLOW_COMMAND", "/opt/mlflow-318/bin/mlflow")
PARAMS, METRICS, STEPS = 50, 20, 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--postgresql", help="a PostgreSQL server URL to import into as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        points = write_filestore(work / "mlruns", args.runs)
        print(f"file store: {args.runs} runs, {points:,} metric points", flush=True)
        ours = timed([sys.executable, "-m", "store.cli", "db", "import-filestore"], work, "ours")
        report("trackstore -> SQLite", ours, points)
        theirs = timed([MLFLOW_COMMAND, "migrate-filestore", "--no-progress"], work, "theirs")
        report("mlflow migrate-filestore 3.18.0 -> SQLite", theirs, points)
        print(f"ratio (SQLite): {theirs[0] / ours[0]:.1f}x")
        if args.postgresql:
            server = make_url(args.postgresql)
            name = f"ts_import_bench_{uuid.uuid4().hex[:8]}"
            target = create_database(server, name).render_as_string(hide_password=False)
            try:
                command = [sys.executable, "-m", "store.cli", "db", "import-filestore"]
                report("trackstore -> PostgreSQL", run(command, work, target), points)
            finally:
                drop_database(server, name)


def timed(command: list[str], work: Path, label: str) -> tuple[float, int]:
    target = f"sqlite:///{work / f'{label}.db'}"
    if command[0] == MLFLOW_COMMAND:
        return run([*command, "--source", str(work), "--target", target], work, None)
    return run(command, work, target)


def run(command: list[str], work: Path, target: str | None) -> tuple[float, int]:
    """(seconds, peak resident KiB) of one import in a process of its own."""
    full = command if target is None else [*command, str(work / "mlruns"), target]
    started = time.perf_counter()
    process = subprocess.Popen(
        full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(full[:4])} failed:\n{errors}")
    return seconds, usage.ru_maxrss


def report(label: str, result: tuple[float, int], points: int) -> None:
    seconds, peak = result
    print(
        f"{label}: {seconds:.1f} s, {points / seconds:,.0f} metric points/s, "
        f"peak memory {peak / 1024:.0f} MiB, load {os.getloadavg()[0]:.0f}",
        flush=True,
    )


def write_filestore(root: Path, runs: int) -> int:
    """The file store, written file by file in MLflow 3.x's layout; its metric point count."""
    experiment = root / "1"
    experiment.mkdir(parents=True)
    _yaml(
        experiment / "meta.yaml",
        {
            "artifact_location": experiment.as_uri(),
            "creation_time": 1,
            "experiment_id": "1",
            "last_update_time": 1,
            "lifecycle_stage": "active",
            "name": "bench",
        },
    )
    lines = [
        "".join(f"{1000 + s} {(m + 1) / (s + 1)!r} {s}\n" for s in range(STEPS))
        for m in range(METRICS)
    ]
    for number in range(runs):
        _run(experiment, uuid.UUID(int=number + 1).hex, lines)
    return runs * METRICS * STEPS


def _run(experiment: Path, run_id: str, lines: list[str]) -> None:
    folder = experiment / run_id
    for sub in ("params", "metrics", "tags"):
        (folder / sub).mkdir(parents=True)
    meta = {
        "artifact_uri": f"{experiment.as_uri()}/{run_id}/artifacts",
        "end_time": 2000,
        "entry_point_name": "",
        "experiment_id": "1",
        "lifecycle_stage": "active",
        "run_id": run_id,
        "run_name": f"run-{run_id[-6:]}",
        "run_uuid": run_id,
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": 1000,
        "status": 3,
        "tags": [],
        "user_id": "bench",
    }
    _yaml(folder / "meta.yaml", meta)
    for p in range(PARAMS):
        (folder / "params" / f"param_{p}").write_text(f"value-{p}")
    for m, text in enumerate(lines):
        (folder / "metrics" / f"metric_{m}").write_text(text)
    (folder / "tags" / "mlflow.runName").write_text(str(meta["run_name"]))


def _yaml(path: Path, document: dict[str, object]) -> None:
    path.write_text(yaml.safe_dump(document))


if __name__ == "__main__":
    main()
