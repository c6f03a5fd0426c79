"""The stores one server worker shares between its requests, over one Engine."""

import os
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
    # Handlers run on the event loop rather than in a thread: a file database answers without
    # network waits, so the hand-off to a thread would cost more than it frees.
    run_inline: bool

    def close(self) -> None:
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
        run_inline=dialect_for(engine.dialect.name).file_based,
    )
