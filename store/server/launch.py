"""Starting the server: check the schema first, then hand the port to uvicorn.

The guard runs before anything binds the port, so a database at the wrong revision stops the
command with the guard's sentence and a non-zero exit while the port stays free.
"""

import os
import sys

import uvicorn

from compat import dialect_for, make_engine
from migrations import runner
from migrations.progress import Progress
from store import guard, models
from store.bootstrap import ensure_default_experiment
from store.server.app import Settings
from store.server.workers import Workers


def prepare_database(settings: Settings, upgrade: bool, progress: Progress) -> None:
    """Upgrade (only when asked), run the guard, and add the Default experiment if none exists.

    The guard raises TrackstoreError when the schema will not do; an empty SQLite database is
    created at head, as MLflow's server does.
    """
    engine = make_engine(settings.backend_store_uri)
    try:
        if upgrade:
            runner.upgrade(engine, "head", progress=progress, fresh=models.create_all)
        guard.ensure_servable(engine, progress=progress)
        dialect_for(engine.dialect.name).keep_settings(engine, os.environ)
        with engine.begin() as connection:
            ensure_default_experiment(connection, settings.artifact_root)
    finally:
        engine.dispose()


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until stopped; every worker process opens its own Engine at startup."""
    os.environ.update(settings.to_environment())
    config = uvicorn.Config(
        "store.server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=10,
    )
    if workers > 1:
        sys.exit(Workers(config, workers).run())
    uvicorn.Server(config).run()
