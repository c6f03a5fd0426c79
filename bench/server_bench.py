"""`trackstore server` against `mlflow server` 3.1.4 through the real MLflow client.

Both servers run on loopback over a new SQLite database each, with the same worker count. One
sequential MlflowClient drives log-batch (100 metrics a call) and get-run against both, in
alternating rounds so that a busy host slows both alike, and the benchmark prints requests per
second, the ratio, and the cold start (process start to a healthy /health on a database that
did not exist). Run it where MLflow 3.1.4 is installed:
`tox -e bench -- server_bench` or `/opt/mlflow-ref/bin/python -m bench server_bench`.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command

METRICS_PER_BATCH = 100
SERVERS = {"trackstore": trackstore_command, "mlflow 3.1.4": mlflow_command}
Command = Callable[[str, int, int], list[str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=300, help="log-batch calls per server")
    parser.add_argument("--gets", type=int, default=1000, help="get-run calls per server")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between servers")
    parser.add_argument("--cold-starts", type=int, default=5)
    args = parser.parse_args()
    # Servers start as deployed, from byte-compiled modules, not by compiling sources each time.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cold = {
            name: cold_starts(root, name, command, args.workers, args.cold_starts)
            for name, command in SERVERS.items()
        }
        with running(root, args.workers) as urls:
            rates = measure(urls, args)
    print(f"workers {args.workers}, SQLite, one sequential MlflowClient, {args.rounds} rounds")
    ours, theirs = rates["trackstore"], rates["mlflow 3.1.4"]
    for call in ("log-batch", "get-run"):
        print(
            f"{call:10} trackstore {ours[call]:7.1f} req/s   mlflow 3.1.4 {theirs[call]:7.1f} "
            f"req/s   ratio {ours[call] / theirs[call]:.2f}x"
        )
    for name, times in cold.items():
        print(
            f"cold start to healthy /health, {name}: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)}"
        )


def cold_starts(root: Path, name: str, command: Command, workers: int, count: int) -> list[float]:
    """Seconds from process start to a healthy /health, each on a database that is new."""
    times = []
    for attempt in range(count):
        server = launch(root, f"{name}-cold-{attempt}", command, workers)
        server.stop()
        times.append(server.started_in)
    return times


@contextmanager
def running(root: Path, workers: int) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        urls = {}
        for name, command in SERVERS.items():
            server = launch(root, name, command, workers)
            stack.callback(server.stop)
            urls[name] = server.url
        yield urls


def launch(root: Path, name: str, command: Command, workers: int) -> LiveServer:
    port = free_port()
    uri = f"sqlite:///{root / (name.replace(' ', '-') + '.db')}"
    return start(command(uri, port, workers), port, root / f"{name}.log", timeout=120)


def measure(urls: dict[str, str], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Requests per second of each call on each server, the servers taking turns each round."""
    calls = {name: workload(url) for name, url in urls.items()}
    spent = {name: {"log-batch": 0.0, "get-run": 0.0} for name in urls}
    for _ in range(args.rounds):
        for name, (log_batch, get_run) in calls.items():
            spent[name]["log-batch"] += timed(log_batch, args.batches // args.rounds)
            spent[name]["get-run"] += timed(get_run, args.gets // args.rounds)
    return {
        name: {
            "log-batch": args.batches // args.rounds * args.rounds / seconds["log-batch"],
            "get-run": args.gets // args.rounds * args.rounds / seconds["get-run"],
        }
        for name, seconds in spent.items()
    }


def workload(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A log-batch call (the next step of 100 metrics) and a get-run call on one new run."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    steps = iter(range(1_000_000))

    def log_batch() -> None:
        step = next(steps)
        metrics = [Metric(f"m{i}", float(i * step), now, step) for i in range(METRICS_PER_BATCH)]
        client.log_batch(run_id, metrics=metrics)

    def get_run() -> Any:
        return client.get_run(run_id)

    log_batch()
    get_run()
    return log_batch, get_run


def timed(call: Callable[[], Any], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
