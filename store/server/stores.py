"""The stores one server worker shares between its requests, over one Engine."""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from compat import dialect_for, make_engine
from store.logged_models.store import LoggedModelStore
from store.registry.store import RegistryStore
from store.traces.trace_infos import TraceStoreV3
from store.tracking.store import TrackingStore

# Handlers of one worker that run at once; the others wait their turn in order of arrival.
# On the event loop itself, a request waiting for SQLite's write lock or a commit's fsync held
# up every other request of its worker and left the CPU idle: with 20 clients on 4 workers,
# threads answered create-run about 1.5x as fast with a lower p99 (bench/load_bench.py, see
# docs/performance.md). A few threads, not one per request: more would only take turns on the
# interpreter lock, stretching every request, and each holds a pooled connection (5 by default).
HANDLER_THREADS = 4


@dataclass(frozen=True)
class Stores:
    """Everything a handler may touch; built once per worker process."""

    engine: Engine
    tracking: TrackingStore
    registry: RegistryStore
    logged_models: LoggedModelStore
    traces: TraceStoreV3
    # The threads that run handlers, first come first served.
    executor: ThreadPoolExecutor
    # Handlers that only read run on the event loop instead: on a file database they have no
    # network wait to overlap, and threads only took turns on the interpreter lock with the
    # loop (get-run's p99 on SQLite was lower on the loop, docs/performance.md).
    reads_on_loop: bool

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


def open_stores(backend_store_uri: str, artifact_root: str) -> Stores:
    engine = make_engine(backend_store_uri)
    dialect_for(engine.dialect.name).keep_settings(engine, os.environ)
    return Stores(
        engine=engine,
        tracking=TrackingStore(engine, artifact_root),
        registry=RegistryStore(engine),
        logged_models=LoggedModelStore(engine),
        traces=TraceStoreV3(engine),
        executor=_executor(),
        reads_on_loop=dialect_for(engine.dialect.name).file_based,
    )


def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="handler")
