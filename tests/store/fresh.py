"""A database at head by the fresh road, as `trackstore` creates an empty one, with Default."""

from sqlalchemy.engine import Engine

from migrations import runner
from store import models
from store.tracking.bootstrap import ensure_default_experiment


def create_fresh_schema(engine: Engine, artifact_root: str = "mlruns") -> None:
    """Create the head schema from the models, stamp it, and add the Default experiment."""
    runner.upgrade(engine, fresh=models.SERVED)
    with engine.begin() as connection:
        ensure_default_experiment(connection, artifact_root)
