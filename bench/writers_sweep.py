"""How many concurrent writing clients a SQLite-backed server holds before its p99 passes 1 s:
`trackstore server` against `mlflow server` 3.1.4, in the same run.

For each client count, each server starts on a new SQLite database with the same number of
workers, takes a warm-up load while its workers start, then the load of `tests.write_load` (runs
created, batches of 10 metrics, a param and a tag logged) for the same time; the servers take
turns at each count, so that a busy host slows both alike. Printed per count and server:
requests per second, p50 and p99 latency, answers that were not 2xx, acknowledged rows missing
from the database afterwards, and the load generator's CPU (to show it was not the bottleneck).
Run it where MLflow 3.1.4 is installed: `tox -e bench-314 -- writers_sweep` or
`PYTHONPATH=. /opt/mlflow-ref/bin/python -m bench writers_sweep --clients 4 8 16 32`.
"""

import argparse
import os
import tempfile
from pathlib import Path

from tests.write_load import LoadResult, load_through_server, run_load, serving, verify

P99_LIMIT_SECONDS = 1.0
SERVERS = ("trackstore", "mlflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--warmup", type=float, default=5, help="seconds of load not counted, while workers start"
    )
    args = parser.parse_args()
    # Servers start as deployed, from byte-compiled modules.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    held: dict[str, int] = {}
    failed: set[str] = set()
    print(f"SQLite, {args.workers} workers per server, {args.seconds:g} s per point")
    print(f"{'server':10} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'not 2xx':>8} "
          f"{'missing':>7} {'client CPU':>10}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for clients in args.clients:
            for name in SERVERS:
                result, missing = point(Path(folder), name, clients, args)
                print(row(name, clients, result, missing))
                if result.percentile(0.99) > P99_LIMIT_SECONDS or result.total_errors:
                    failed.add(name)
                elif name not in failed:
                    held[name] = clients
    for name in SERVERS:
        print(
            f"{name}: p99 within {P99_LIMIT_SECONDS:g} s and no errors at every count up to "
            f"{held.get(name, 0)} clients"
        )


def point(root: Path, name: str, clients: int, args: argparse.Namespace) -> tuple[LoadResult, int]:
    """One server's load at `clients`, and how many acknowledged rows went missing."""
    uri = f"sqlite:///{root / f'{name}-{clients}.db'}"
    with serving(name, uri, args.workers, root / f"{name}-{clients}.log") as server:
        run_load(server.url, clients, args.warmup)
        result = load_through_server(server, clients, args.seconds)
    return result, sum(verify(uri, result.acknowledged).values())


def row(name: str, clients: int, result: LoadResult, missing: int) -> str:
    return (
        f"{name:10} {clients:7} {result.total_requests / result.seconds:7.0f} "
        f"{result.percentile(0.5) * 1000:7.0f} {result.percentile(0.99) * 1000:7.0f} "
        f"{result.total_errors:8} {missing:7} {result.client_cpu_share:10.0%}"
    )


if __name__ == "__main__":
    main()
