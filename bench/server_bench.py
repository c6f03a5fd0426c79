"""`trackstore server` against `mlflow server` 3.1.4 through the real MLflow client.

Both servers run on loopback over a new SQLite database each, with the same worker count; one
sequential MlflowClient drives log-batch (100 metrics a call) and get-run against each and the
benchmark prints requests per second, the ratio, and the cold start (process start to a healthy
/health on a database that did not exist). Run it where MLflow 3.1.4 is installed:
`tox -e bench -- server_bench` or `/opt/mlflow-ref/bin/python -m bench server_bench`.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.live_server import (
    LiveServer,
    free_port,
    mlflow_command,
    start,
    trackstore_command,
)

METRICS_PER_BATCH = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=300, help="log-batch calls per server")
    parser.add_argument("--gets", type=int, default=1000, help="get-run calls per server")
    parser.add_argument("--cold-starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ours_cold = cold_starts(root, "trackstore", trackstore_command, args)
        theirs_cold = cold_starts(root, "mlflow", mlflow_command, args, count=1)
        ours = throughput(root, "trackstore", trackstore_command, args)
        theirs = throughput(root, "mlflow", mlflow_command, args)
    print(f"workers {args.workers}, SQLite, one sequential MlflowClient")
    for name in ("log-batch", "get-run"):
        print(
            f"{name:10} trackstore {ours[name]:8.1f} req/s   mlflow 3.1.4 {theirs[name]:8.1f} "
            f"req/s   ratio {ours[name] / theirs[name]:.2f}x"
        )
    print(
        f"cold start to healthy /health: trackstore median {statistics.median(ours_cold):.2f} s "
        f"(max {max(ours_cold):.2f} s over {len(ours_cold)}), "
        f"mlflow 3.1.4 {statistics.median(theirs_cold):.2f} s"
    )


Command = Callable[[str, int, int], list[str]]


def cold_starts(
    root: Path, name: str, command: Command, args: argparse.Namespace, count: int | None = None
) -> list[float]:
    """Seconds from process start to a healthy /health, each on a database that is new."""
    times = []
    for attempt in range(count or args.cold_starts):
        uri = f"sqlite:///{root / f'{name}-cold-{attempt}.db'}"
        server = launch(root, f"{name}-cold-{attempt}", command, uri, args.workers)
        server.stop()
        times.append(server.started_in)
    return times


def throughput(
    root: Path, name: str, command: Command, args: argparse.Namespace
) -> dict[str, float]:
    server = launch(root, name, command, f"sqlite:///{root / f'{name}.db'}", args.workers)
    try:
        return drive(server.url, args.batches, args.gets)
    finally:
        server.stop()


def launch(root: Path, name: str, command: Command, uri: str, workers: int) -> LiveServer:
    port = free_port()
    return start(command(uri, port, workers), port, root / f"{name}.log", timeout=120)


def drive(url: str, batches: int, gets: int) -> dict[str, float]:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)

    def log_batch(step: int) -> None:
        metrics = [Metric(f"m{i}", float(i * step), now, step) for i in range(METRICS_PER_BATCH)]
        client.log_batch(run_id, metrics=metrics)

    log_batch(0)
    client.get_run(run_id)
    return {
        "log-batch": rate(log_batch, batches),
        "get-run": rate(lambda _: client.get_run(run_id), gets),
    }


def rate(call: Callable[[int], Any], count: int) -> float:
    started = time.perf_counter()
    for index in range(1, count + 1):
        call(index)
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
