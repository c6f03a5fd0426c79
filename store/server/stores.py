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


@dataclass(frozen=True)
class Stores:
    """Everything a handler may touch; built once per worker process."""

    engine: Engine
    tracking: TrackingStore
    registry: RegistryStore
    logged_models: LoggedModelStore
    traces: TraceStoreV3
    # The threads that run handlers, first come first served; None: on the event loop.
    executor: ThreadPoolExecutor | None

    def close(self) -> None:
        if self.executor is not None:
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
    )


def _executor() -> ThreadPoolExecutor | None:
    setting = os.environ.get("TRACKSTORE_HANDLER_THREADS", "inline")
    if setting == "inline":
        return None
    return ThreadPoolExecutor(int(setting), thread_name_prefix="handler")
