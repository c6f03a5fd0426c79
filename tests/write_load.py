"""A write load through a live tracking server over HTTP, and the check that nothing it was told
was stored went missing.

Each of N client threads creates an experiment, then until the time is up creates a run every
RUN_BATCHES batches and logs batches of metrics, a param and a tag to it, over one keep-alive
connection of its own. Every row the server acknowledged (a 2xx answer) is remembered; every
other answer is counted by status and error code, with one message kept per kind. Afterwards
`verify` reads the database and counts the acknowledged rows that are not there.

The clients use the standard library's http.client, so that the generator spends little CPU of
its own: `LoadResult.client_cpu_share` is its process CPU time over the wall time, to show the
generator was not the bottleneck. Run it by hand against a new server:

    python -m tests.write_load --clients 16 --workers 4 --seconds 30
    python -m tests.write_load --backend-store-uri postgresql://... --seconds 60
    /opt/mlflow-ref/bin/python -m tests.write_load --server mlflow   # MLflow 3.1.4 alike
"""

import argparse
import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from compat import make_engine
from store.common.tables import metrics, params, runs, tags
from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command

API = "/api/2.0/mlflow"
RUN_BATCHES = 20
METRICS_PER_BATCH = 10
REQUEST_TIMEOUT_SECONDS = 120
RETRY_PAUSE_SECONDS = 0.05
SERVERS: dict[str, Callable[[str, int, int], list[str]]] = {
    "trackstore": lambda uri, port, workers: trackstore_command(uri, port, workers, ["--upgrade"]),
    "mlflow": mlflow_command,
}
# One acknowledged row of each table, as the database must hold it afterwards.
MetricRow = tuple[str, str, float, int, int]  # run, key, value, timestamp, step
PairRow = tuple[str, str, str]  # run, key, value


@dataclass
class Acknowledged:
    """What the server said it stored."""

    runs: set[str] = field(default_factory=set)
    metrics: set[MetricRow] = field(default_factory=set)
    params: set[PairRow] = field(default_factory=set)
    tags: set[PairRow] = field(default_factory=set)

    def update(self, other: "Acknowledged") -> None:
        self.runs |= other.runs
        self.metrics |= other.metrics
        self.params |= other.params
        self.tags |= other.tags

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("runs", "metrics", "params", "tags")}


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict, repr=False)
    acknowledged: Acknowledged = field(default_factory=Acknowledged, repr=False)
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def client_cpu_share(self) -> float:
        """The generator's CPU time per wall second (1.0 is one core kept busy)."""
        return self.client_cpu_seconds / self.seconds

    def percentile(self, fraction: float, endpoint: str | None = None) -> float:
        """The `fraction` quantile of request latency in seconds (all endpoints by default)."""
        chosen = [
            value
            for name, values in self.latencies.items()
            if endpoint is None or name == endpoint
            for value in values
        ]
        if len(chosen) < 2:
            return chosen[0] if chosen else 0.0
        return statistics.quantiles(chosen, n=1000, method="inclusive")[round(fraction * 1000) - 1]

    def summary(self) -> str:
        lines = [
            f"{self.clients} clients, {self.seconds:.1f} s: {self.total_requests} requests "
            f"({self.total_requests / self.seconds:.0f}/s), {self.total_errors} not 2xx",
            "latency p50 {:.0f} ms, p99 {:.0f} ms (log-batch p50 {:.0f} ms, p99 {:.0f} ms)".format(
                self.percentile(0.5) * 1000,
                self.percentile(0.99) * 1000,
                self.percentile(0.5, "runs/log-batch") * 1000,
                self.percentile(0.99, "runs/log-batch") * 1000,
            ),
            f"acknowledged rows: {self.acknowledged.counts()}",
            f"load generator CPU: {self.client_cpu_seconds:.1f} s, "
            f"{self.client_cpu_share:.0%} of one core",
        ]
        if self.server_cpu_seconds is not None:
            lines.append(
                f"server CPU: {self.server_cpu_seconds:.1f} s, "
                f"{self.server_cpu_seconds / self.seconds:.0%} of one core"
            )
        lines += [f"  {count} x {kind}: {self.error_samples[kind]}" for kind, count in
                  self.errors.most_common()]  # fmt: skip
        return "\n".join(lines)


class Refused(Exception):
    """A request answered with something other than 2xx (or not answered at all)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Client:
    """One thread's keep-alive connection, recording each request's outcome in `result`."""

    def __init__(self, base_url: str, result: LoadResult, lock: threading.Lock) -> None:
        host_port = base_url.removeprefix("http://")
        self.connection = http.client.HTTPConnection(host_port, timeout=REQUEST_TIMEOUT_SECONDS)
        self.result = result
        self.lock = lock
        self.latencies: dict[str, list[float]] = {}

    def post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to `endpoint`; the decoded answer, or Refused when it is not 2xx."""
        payload = json.dumps(body).encode()
        started = time.perf_counter()
        try:
            status, answer = self._exchange(f"{API}/{endpoint}", payload)
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self._count(endpoint, time.perf_counter() - started)
            raise self._refused(f"no answer ({type(exc).__name__})", str(exc)) from None
        self._count(endpoint, time.perf_counter() - started)
        if 200 <= status < 300:
            decoded: dict[str, Any] = json.loads(answer or b"{}")
            return decoded
        try:
            error = json.loads(answer)
            kind, detail = f"{status} {error.get('error_code')}", str(error.get("message"))
        except ValueError:
            kind, detail = str(status), answer[:200].decode(errors="replace")
        raise self._refused(kind, detail)

    def _exchange(self, path: str, payload: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        self.connection.request("POST", path, body=payload, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def _count(self, endpoint: str, seconds: float) -> None:
        self.latencies.setdefault(endpoint, []).append(seconds)

    def _refused(self, kind: str, detail: str) -> Refused:
        with self.lock:
            self.result.errors[kind] += 1
            self.result.error_samples.setdefault(kind, detail[:300])
        return Refused(kind, detail)

    def close(self) -> None:
        self.connection.close()


def run_load(base_url: str, clients: int, seconds: float) -> LoadResult:
    """`clients` threads writing through the server at `base_url` for `seconds`."""
    result = LoadResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    cpu_before, wall_before = time.process_time(), time.monotonic()
    threads = [
        threading.Thread(target=_client_loop, args=(base_url, number, deadline, result, lock))
        for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - wall_before
    result.client_cpu_seconds = time.process_time() - cpu_before
    return result


def _client_loop(
    base_url: str, number: int, deadline: float, result: LoadResult, lock: threading.Lock
) -> None:
    client = Client(base_url, result, lock)
    mine = Acknowledged()
    random_values = random.Random(number)
    try:
        experiment_id = _until_acknowledged(
            deadline,
            lambda: client.post("experiments/create", {"name": f"load-{uuid.uuid4().hex}"}),
        )
        if experiment_id is None:
            return
        run_id, batch = "", RUN_BATCHES
        while time.monotonic() < deadline:
            try:
                if batch >= RUN_BATCHES:
                    run_id, batch = _create_run(client, experiment_id["experiment_id"], mine), 0
                _log_batch(client, run_id, batch, random_values, mine)
                batch += 1
            except Refused:
                time.sleep(RETRY_PAUSE_SECONDS)
    finally:
        client.close()
        with lock:
            result.acknowledged.update(mine)
            for endpoint, values in client.latencies.items():
                result.requests[endpoint] += len(values)
                result.latencies.setdefault(endpoint, []).extend(values)


def _until_acknowledged(
    deadline: float, request: Callable[[], dict[str, Any]]
) -> dict[str, Any] | None:
    while time.monotonic() < deadline:
        try:
            return request()
        except Refused:
            time.sleep(RETRY_PAUSE_SECONDS)
    return None


def _create_run(client: Client, experiment_id: str, mine: Acknowledged) -> str:
    answer = client.post(
        "runs/create",
        {"experiment_id": experiment_id, "start_time": _now_ms(), "run_name": "load"},
    )
    run_id: str = answer["run"]["info"]["run_id"]
    mine.runs.add(run_id)
    return run_id


def _log_batch(
    client: Client, run_id: str, batch: int, values: random.Random, mine: Acknowledged
) -> None:
    timestamp = _now_ms()
    metric_rows = [
        (run_id, f"m{index}", values.uniform(-1e6, 1e6), timestamp, batch)
        for index in range(METRICS_PER_BATCH)
    ]
    param_row = (run_id, f"p{batch}", f"value {batch}")
    tag_row = (run_id, f"t{batch}", uuid.uuid4().hex)
    client.post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": key, "value": value, "timestamp": ts, "step": step}
                for _, key, value, ts, step in metric_rows
            ],
            "params": [{"key": param_row[1], "value": param_row[2]}],
            "tags": [{"key": tag_row[1], "value": tag_row[2]}],
        },
    )
    mine.metrics.update(metric_rows)
    mine.params.add(param_row)
    mine.tags.add(tag_row)


def _now_ms() -> int:
    return int(time.time() * 1000)


def verify(uri: str, acknowledged: Acknowledged) -> dict[str, int]:
    """How many acknowledged rows of each kind the database at `uri` does not hold."""
    engine = make_engine(uri)
    try:
        with engine.connect() as connection:
            run_ids = sorted(acknowledged.runs)
            stored_runs: set[str] = set()
            stored_metrics: set[MetricRow] = set()
            stored_params: set[PairRow] = set()
            stored_tags: set[PairRow] = set()
            for part in _chunks(run_ids, 500):
                stored_runs.update(
                    connection.scalars(select(runs.c.run_uuid).where(runs.c.run_uuid.in_(part)))
                )
                stored_metrics.update(
                    tuple(row)  # type: ignore[misc]
                    for row in connection.execute(
                        select(
                            metrics.c.run_uuid,
                            metrics.c.key,
                            metrics.c.value,
                            metrics.c.timestamp,
                            metrics.c.step,
                        ).where(metrics.c.run_uuid.in_(part))
                    )
                )
                for table, found in ((params, stored_params), (tags, stored_tags)):
                    found.update(
                        tuple(row)  # type: ignore[misc]
                        for row in connection.execute(
                            select(table.c.run_uuid, table.c.key, table.c.value).where(
                                table.c.run_uuid.in_(part)
                            )
                        )
                    )
    finally:
        engine.dispose()
    return {
        "runs": len(acknowledged.runs - stored_runs),
        "metrics": len(acknowledged.metrics - stored_metrics),
        "params": len(acknowledged.params - stored_params),
        "tags": len(acknowledged.tags - stored_tags),
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start_at in range(0, len(items), size):
        yield items[start_at : start_at + size]


def process_group_cpu_seconds(pgid: int) -> float:
    """User and system CPU seconds of every live process in group `pgid` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def load_through_server(server: LiveServer, clients: int, seconds: float) -> LoadResult:
    """`run_load` against `server`, with the CPU its processes spent meanwhile."""
    pgid = os.getpgid(server.process.pid)
    before = process_group_cpu_seconds(pgid)
    result = run_load(server.url, clients, seconds)
    result.server_cpu_seconds = process_group_cpu_seconds(pgid) - before
    return result


@contextmanager
def serving(
    kind: str, uri: str, workers: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """A `kind` server ("trackstore" or "mlflow") on `uri` with `workers`, stopped afterwards."""
    port = free_port()
    server = start(SERVERS[kind](uri, port, workers), port, log, env=env, timeout=120)
    try:
        yield server
    finally:
        server.stop()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=sorted(SERVERS), default="trackstore")
    parser.add_argument("--backend-store-uri", help="default: a new SQLite file")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(None if argv is None else list(argv))
    with tempfile.TemporaryDirectory() as folder:
        uri = args.backend_store_uri or f"sqlite:///{Path(folder) / 'load.db'}"
        log = Path(folder) / "server.log"
        with serving(args.server, uri, args.workers, log) as server:
            result = load_through_server(server, args.clients, args.seconds)
        missing = verify(uri, result.acknowledged)
    print(f"{args.server}, {args.workers} workers, {uri.split(':', 1)[0]}")
    print(result.summary())
    print(f"acknowledged rows missing from the database: {missing}")
    return 0 if result.total_errors == 0 and not any(missing.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
