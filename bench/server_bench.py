"""`trackstore server` against `mlflow server` through the real MLflow client.

The servers compared are `mlflow server` of the MLflow installed beside trackstore (3.18.0 under
`tox -e bench`) and, when its executable exists, MLflow 3.1.4's from another environment
(`--reference-mlflow`, by default /opt/mlflow-ref's; `--reference-mlflow ''` leaves it out).
Every server runs on loopback over a new SQLite database, with the same worker count. One
sequential MlflowClient drives log-batch (100 metrics a call) and get-run against each, in
alternating rounds so that a busy host slows all alike, and the benchmark prints requests per
second, the ratio against each MLflow, and the cold start (process start to a healthy /health
on a database that did not exist). Then the same client uploads (log_artifact) and downloads
(download_artifacts) one file of --artifact-mib MiB through each server's artifact proxy to a
local folder, in alternating rounds, and the benchmark prints MiB/s, the ratios and the peak
RSS of the server's processes (the largest VmHWM among the server and its workers):
`tox -e bench -- server_bench` or `/opt/mlflow-318/bin/python -m bench server_bench`.
"""

import argparse
import functools
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.live_server import (
    REFERENCE_MLFLOW,
    LiveServer,
    free_port,
    mlflow_command,
    start,
    trackstore_command,
)

METRICS_PER_BATCH = 100
OURS = "trackstore"
Command = Callable[[str, int, int], list[str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=300, help="log-batch calls per server")
    parser.add_argument("--gets", type=int, default=1000, help="get-run calls per server")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between servers")
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--artifact-mib", type=int, default=100, help="size of the file moved")
    parser.add_argument("--artifact-rounds", type=int, default=3)
    parser.add_argument(
        "--reference-mlflow",
        default=str(REFERENCE_MLFLOW) if REFERENCE_MLFLOW.exists() else "",
        help="the `mlflow` executable of a second MLflow release to compare with",
    )
    args = parser.parse_args()
    # Servers start as deployed, from byte-compiled modules, not by compiling sources each time.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = compared_servers(args.reference_mlflow)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cold = {
            name: cold_starts(root, name, command, args.workers, args.cold_starts)
            for name, command in commands.items()
        }
        with running(root, commands, args.workers) as servers:
            rates = measure({name: server.url for name, server in servers.items()}, args)
            moved = measure_artifacts(servers, root, args.artifact_mib, args.artifact_rounds)
    print(f"workers {args.workers}, SQLite, one sequential MlflowClient, {args.rounds} rounds")
    print_rates(rates, ("log-batch", "get-run"), "req/s")
    for name, times in cold.items():
        print(
            f"cold start to healthy /health, {name}: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)}"
        )
    print(f"a {args.artifact_mib} MiB file, best of {args.artifact_rounds} rounds, local folder")
    print_rates(moved, ("upload", "download"), "MiB/s")
    peaks = ", ".join(f"{name} {answers['peak rss']:.0f} MiB" for name, answers in moved.items())
    print(f"peak RSS of the server processes: {peaks}")


def compared_servers(reference: str) -> dict[str, Command]:
    """trackstore, the MLflow beside it, and the reference MLflow if it is another release."""
    import mlflow

    servers: dict[str, Command] = {
        OURS: trackstore_command,
        f"mlflow {mlflow.__version__}": mlflow_command,
    }
    if reference:
        answer = subprocess.run([reference, "--version"], capture_output=True, text=True)
        name = f"mlflow {answer.stdout.split()[-1]}"
        servers.setdefault(name, functools.partial(mlflow_command, executable=Path(reference)))
    return servers


def print_rates(figures: dict[str, dict[str, float]], measures: tuple[str, ...], unit: str) -> None:
    """One line per measure: trackstore's figure, then each MLflow's with trackstore's ratio."""
    ours = figures[OURS]
    for measure_name in measures:
        others = "   ".join(
            f"{name} {answers[measure_name]:7.1f} {unit} "
            f"(ratio {ours[measure_name] / answers[measure_name]:.2f}x)"
            for name, answers in figures.items()
            if name != OURS
        )
        print(f"{measure_name:10} {OURS} {ours[measure_name]:7.1f} {unit}   {others}")


def cold_starts(root: Path, name: str, command: Command, workers: int, count: int) -> list[float]:
    """Seconds from process start to a healthy /health, each on a database that is new."""
    times = []
    for attempt in range(count):
        server = launch(root, f"{name}-cold-{attempt}", command, workers)
        server.stop()
        times.append(server.started_in)
    return times


@contextmanager
def running(
    root: Path, commands: dict[str, Command], workers: int
) -> Iterator[dict[str, LiveServer]]:
    with ExitStack() as stack:
        servers = {}
        for name, command in commands.items():
            server = launch(root, name, command, workers)
            stack.callback(server.stop)
            servers[name] = server
        yield servers


def launch(root: Path, name: str, command: Command, workers: int) -> LiveServer:
    port = free_port()
    stem = name.replace(" ", "-")
    uri = f"sqlite:///{root / (stem + '.db')}"
    destination = ["--artifacts-destination", str(root / f"{stem}-artifacts")]
    return start(command(uri, port, workers) + destination, port, root / f"{name}.log", timeout=300)


def measure_artifacts(
    servers: dict[str, LiveServer], root: Path, mib: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Best MiB/s up and down on each server, taking turns, and each server's peak RSS."""
    source = root / "payload.bin"
    with source.open("wb") as sink:
        block = os.urandom(1024 * 1024)
        for _ in range(mib):
            sink.write(block)
    best = {name: {"upload": 0.0, "download": 0.0} for name in servers}
    for attempt in range(rounds):
        for name, server in servers.items():
            target = root / f"down-{name.replace(' ', '-')}-{attempt}"
            up, down = move_once(server.url, source, target)
            best[name]["upload"] = max(best[name]["upload"], mib / up)
            best[name]["download"] = max(best[name]["download"], mib / down)
    return {
        name: {**best[name], "peak rss": peak_rss_mib(server.process.pid)}
        for name, server in servers.items()
    }


def move_once(url: str, source: Path, target: Path) -> tuple[float, float]:
    """Seconds to upload `source` to a new run and to download it again into `target`."""
    import mlflow
    from mlflow.tracking import MlflowClient

    # The client resolves mlflow-artifacts:/ locations against the global tracking URI.
    mlflow.set_tracking_uri(url)
    client = MlflowClient(tracking_uri=url)
    run_id = client.create_run(client.create_experiment(f"files-{time.time_ns()}")).info.run_id
    started = time.perf_counter()
    client.log_artifact(run_id, str(source))
    uploaded = time.perf_counter()
    target.mkdir()
    client.download_artifacts(run_id, source.name, str(target))
    downloaded = time.perf_counter()
    copy = target / source.name
    if copy.stat().st_size != source.stat().st_size:
        raise RuntimeError(f"{url} returned a file of the wrong size")
    copy.unlink()
    return uploaded - started, downloaded - uploaded


def peak_rss_mib(pid: int) -> float:
    """The largest peak resident size (VmHWM) among `pid` and every process below it."""
    peaks = []
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status")
        children = Path(f"/proc/{current}/task/{current}/children")
        if not status.exists():
            continue
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
        if children.exists():
            pending += [int(child) for child in children.read_text().split()]
    return max(peaks)


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
