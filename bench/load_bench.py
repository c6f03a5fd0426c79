"""`trackstore server` against `mlflow server` under many concurrent clients, in the same run.

Every server gets a new database of the same kind, the same worker count and the same seed data,
written through its own REST API: one run to read, 200 runs to search (10 params, 10 metrics
and 3 tags each; the filter on a metric and a param matches all of them, ordered by a metric),
100 experiments to search, and runs of their own for each write case; PostgreSQL's statistics
are then gathered (ANALYZE), as autovacuum would on a deployed server. Then, case by case, the
servers take turns under Debian's `wrk` (bench/load.lua) with --clients connections for
--seconds, after a short warm-up; reads run before writes and each case has data of its own, so
no write grows what a read reads. Printed per case and server: requests per second, p50 and
p99 latency, failed requests, and the CPU of wrk and of the server (wrk at a small share of its
core shows that the generator was not the bottleneck); then trackstore's ratio against each
MLflow with the target the issue sets (mlflow-go's ratios), or why there is none (a server that
answered fewer than MIN_ANSWERS requests in the time: give it more --seconds).

    /opt/mlflow-318/bin/python -m bench load_bench [--backend sqlite postgresql mysql]
        [--clients 20] [--workers 4] [--seconds 10] [--mlflow /opt/mlflow-ref/bin/mlflow]

Server databases come from TRACKSTORE_TEST_POSTGRESQL_URL / TRACKSTORE_TEST_MYSQL_URL (see
ci/local-databases.sh); a scratch database is made on them for each server and dropped after.
"""

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from compat.databases import scratch_database
from tests.live_server import LiveServer, free_port, start, trackstore_command
from tests.write_load import process_group_cpu_seconds

API = "/api/2.0/mlflow/"
SCRIPT = Path(__file__).with_name("load.lua")
SEARCHED_RUNS = 200
SEARCHED_EXPERIMENTS = 100
SEED_CONNECTIONS = 8
# Fewer answers in a case than this give no rate to compare: run longer (--seconds).
MIN_ANSWERS = 20
READ_CASES = ("get-run", "search-runs", "search-experiments")
WRITE_CASES = ("log-batch-metrics", "log-batch-params", "create-run")
# mlflow-go's ratios over `mlflow server` (20 clients, PostgreSQL), the targets.
TARGETS = {
    "search-runs": 10.0,
    "search-experiments": 2.3,
    "log-batch-metrics": 3.2,
    "log-batch-params": 1.6,
    "create-run": 1.85,
}
SERVER_URL_VARIABLES = {
    "postgresql": "TRACKSTORE_TEST_POSTGRESQL_URL",
    "mysql": "TRACKSTORE_TEST_MYSQL_URL",
}


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator_cpu: float
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        """The server's CPU per answered request: steadier than the rate on a busy host."""
        return self.server_cpu * self.seconds / max(self.requests, 1) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", *SERVER_URL_VARIABLES])  # fmt: skip
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load not counted")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--cases", nargs="+", default=[*READ_CASES, *WRITE_CASES],
                        choices=[*READ_CASES, *WRITE_CASES])  # fmt: skip
    parser.add_argument(
        "--mlflow", nargs="*", default=default_mlflows(),
        help="mlflow executables to compare with (default: this environment's and MLflow "
        "3.1.4's in /opt/mlflow-ref)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed; install Debian's package (apt-get install wrk).")
    # Servers start as deployed, from byte-compiled modules.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Stopped with SIGTERM, the servers and their databases are still removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    servers = {"trackstore": "trackstore", **{mlflow_label(m): m for m in args.mlflow}}
    for backend in args.backend:
        run_backend(backend, servers, args)


def default_mlflows() -> list[str]:
    candidates = [Path(sys.executable).parent / "mlflow", Path("/opt/mlflow-ref/bin/mlflow")]
    return [str(path) for path in candidates if path.exists()]


def mlflow_label(executable: str) -> str:
    python = Path(executable).parent / "python"
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('mlflow'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return f"mlflow {version}"


def run_backend(backend: str, servers: dict[str, str], args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(f"\n{backend}: {args.clients} clients, {args.workers} workers per server, "
          f"{args.seconds:g} s per case after {args.warmup:g} s warm-up, wrk -t{args.threads}; "
          f"load average before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        root = Path(folder)
        running: dict[str, tuple[LiveServer, dict[str, list[str]]]] = {}
        for name, executable in servers.items():
            uri = stack.enter_context(database(backend, root, name))
            server = launch(name, executable, uri, args.workers, root)
            stack.callback(server.stop)
            running[name] = (server, seed(server.url, args.clients))
            if backend == "postgresql":
                analyze(uri)
        results: dict[str, dict[str, Measured]] = {}
        for case in args.cases:
            for name, (server, ids) in running.items():
                wrk(server, case, ids[case], args, args.warmup)
                results.setdefault(case, {})[name] = measure(server, case, ids[case], args)
                print(row(case, name, results[case][name]), flush=True)
    print(f"load average after {os.getloadavg()[0]:.1f}")
    report(results)


@contextmanager
def database(backend: str, root: Path, name: str) -> Iterator[str]:
    """A new database of `backend` for the server `name`, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{root / (name.replace(' ', '-') + '.db')}"
        return
    variable = SERVER_URL_VARIABLES[backend]
    if variable not in os.environ:
        sys.exit(f'{variable} is not set; run `eval "$(bash ci/local-databases.sh)"` first.')
    with scratch_database(make_url(os.environ[variable])) as url:
        yield url.render_as_string(hide_password=False)


def launch(name: str, executable: str, uri: str, workers: int, root: Path) -> LiveServer:
    port = free_port()
    stem = name.replace(" ", "-")
    if name == "trackstore":
        command = trackstore_command(uri, port, workers, ["--upgrade"])
    else:
        command = [executable, "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers)]  # fmt: skip
    command += ["--artifacts-destination", str(root / f"{stem}-artifacts")]
    # uvicorn's supervisor (MLflow 3.18's) kills a worker that does not answer its health
    # check within 5 s, which a worker still importing MLflow on a busy host does not.
    env = {"UVICORN_TIMEOUT_WORKER_HEALTHCHECK": "120"}
    return start(command, port, root / f"{stem}.log", env=env, timeout=300)


def analyze(uri: str) -> None:
    """Statistics for PostgreSQL's planner, as autovacuum gathers them soon after a table
    fills on a deployed server (the local test server runs without autovacuum)."""
    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


class Api:
    """A keep-alive JSON client for seeding a server."""

    def __init__(self, url: str) -> None:
        self.connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=120)

    def post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST once more on a new connection when the server had closed an idle one."""
        try:
            status, answer = self._exchange(endpoint, body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()
            status, answer = self._exchange(endpoint, body)
        if status != 200:
            raise RuntimeError(f"{endpoint} answered {status}: {answer[:300]!r}")
        decoded: dict[str, Any] = json.loads(answer or b"{}")
        return decoded

    def _exchange(self, endpoint: str, body: dict[str, Any]) -> tuple[int, bytes]:
        self.connection.request(
            "POST", API + endpoint, json.dumps(body), {"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        return response.status, response.read()


def seed(url: str, clients: int) -> dict[str, list[str]]:
    """The same data on every server; each case's ids (runs, or one experiment). Written by
    SEED_CONNECTIONS connections at once, as a slow server takes minutes one at a time."""
    api = Api(url)
    ids: dict[str, list[str]] = {}
    get_experiment = experiment(api, "get-run")
    ids["get-run"] = [run(api, get_experiment, 0)]
    searched = experiment(api, "search-runs")
    ids["search-runs"] = [searched]
    ids["search-experiments"] = []
    with ThreadPoolExecutor(SEED_CONNECTIONS) as pool:
        apis = threading.local()

        def own_api() -> Api:
            if not hasattr(apis, "api"):
                apis.api = Api(url)
            return cast(Api, apis.api)

        list(pool.map(lambda n: run(own_api(), searched, n), range(SEARCHED_RUNS)))
        names = [f"search-{number}" for number in range(SEARCHED_EXPERIMENTS)]
        list(pool.map(lambda name: experiment(own_api(), name, tags=2), names))
    for case in ("log-batch-metrics", "log-batch-params"):
        written = experiment(api, case)
        ids[case] = [create_run(api, written, number) for number in range(clients)]
    ids["create-run"] = [experiment(api, "create-run")]
    return ids


def experiment(api: Api, name: str, tags: int = 0) -> str:
    tag_list = [{"key": f"team{index}", "value": f"value {index}"} for index in range(tags)]
    answer = api.post("experiments/create", {"name": name, "tags": tag_list})
    experiment_id: str = answer["experiment_id"]
    return experiment_id


def create_run(api: Api, experiment_id: str, number: int) -> str:
    answer = api.post(
        "runs/create",
        {"experiment_id": experiment_id, "start_time": 1_700_000_000_000 + number,
         "run_name": f"run-{number}"},
    )  # fmt: skip
    run_id: str = answer["run"]["info"]["run_id"]
    return run_id


def run(api: Api, experiment_id: str, number: int) -> str:
    """A run with 10 params, 10 metrics and 3 tags, as a training job leaves one."""
    run_id = create_run(api, experiment_id, number)
    params = [{"key": f"param{index}", "value": f"{number * index}"} for index in range(9)]
    params.append({"key": "optimizer", "value": "adam"})
    metrics = [
        {"key": f"metric{index}", "value": number * 0.01 + index, "timestamp": 1, "step": 0}
        for index in range(8)
    ]
    metrics += [
        {"key": "accuracy", "value": 0.2 + number / 1000, "timestamp": 1, "step": 0},
        {"key": "loss", "value": 1.0 / (number + 1), "timestamp": 1, "step": 0},
    ]
    tags = [{"key": f"tag{index}", "value": f"tag value {index}"} for index in range(3)]
    api.post("runs/log-batch", {"run_id": run_id, "params": params, "metrics": metrics,
                                "tags": tags})  # fmt: skip
    return run_id


def wrk(
    server: LiveServer, case: str, ids: Sequence[str], args: argparse.Namespace, seconds: float
) -> str:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.clients}", f"-d{max(seconds, 1):g}s",
        "--timeout", "60s", "-s", str(SCRIPT), server.url, "--", case, str(args.threads), *ids,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return done.stdout


def measure(
    server: LiveServer, case: str, ids: Sequence[str], args: argparse.Namespace
) -> Measured:
    """One timed wrk run, with wrk's CPU (a child's rusage) and the server's (its processes)."""
    group = os.getpgid(server.process.pid)
    server_before = process_group_cpu_seconds(group)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = wrk(server, case, ids, args, args.seconds)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = process_group_cpu_seconds(group) - server_before
    match = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    fields = {key: float(value) for key, value in
              (pair.split("=") for pair in match.group(1).split())}  # fmt: skip
    seconds = fields["seconds"]
    generator = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return Measured(
        requests=int(fields["requests"]),
        seconds=seconds,
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
        errors=int(sum(fields[kind] for kind in ("status", "connect", "read", "write", "timeout"))),
        generator_cpu=generator / seconds,
        server_cpu=server_cpu / seconds,
    )


def row(case: str, name: str, result: Measured) -> str:
    return (
        f"{case:19} {name:14} {result.rate:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
        f"p99 {result.p99_ms:7.1f} ms  errors {result.errors:5}  "
        f"wrk CPU {result.generator_cpu:4.0%}  server CPU {result.server_cpu:4.0%} "
        f"({result.server_cpu_ms:.1f} ms a request)"
    )


def report(results: dict[str, dict[str, Measured]]) -> None:
    for case, by_server in results.items():
        ours = by_server["trackstore"]
        for name, theirs in by_server.items():
            if name == "trackstore":
                continue
            target = TARGETS.get(case)
            if theirs.requests < MIN_ANSWERS:
                ratio_text = f"ratio not measured: {name} answered {theirs.requests} requests"
            else:
                ratio_text = f"ratio {ours.rate / theirs.rate:5.2f}x"
            verdicts = [
                ratio_text + (f" (target {target:g}x)" if target else ""),
                f"p99 {ours.p99_ms:.0f} vs {theirs.p99_ms:.0f} ms",
                f"errors {ours.errors} vs {theirs.errors}",
            ]
            print(f"{case:19} vs {name:14} " + ", ".join(verdicts))


if __name__ == "__main__":
    main()
