"""The Default experiment (id 0) that MLflow's clients and UI expect in every store.

MLflow inserts it whenever its store opens a database holding no experiments at all, active or
deleted, with the store's artifact root; a database created by `db upgrade` alone has none until
a store opens it. Callers that open a store call `ensure_default_experiment` to do the same.
"""

import time

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from compat import dialect_for
from store.models import Experiment
from store.tracking.uris import append_path, resolve_local

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"


def create_default_experiment(bind: Connection | Session, artifact_root: str) -> None:
    """Insert the Default experiment, its artifacts under `artifact_root`/0, in `bind`'s
    transaction; experiment_id is an auto-increment key, so 0 needs the dialect's leave."""
    connection = _connection(bind)
    now = int(time.time() * 1000)
    row = {
        "experiment_id": DEFAULT_EXPERIMENT_ID,
        "name": DEFAULT_EXPERIMENT_NAME,
        "artifact_location": append_path(resolve_local(artifact_root), str(DEFAULT_EXPERIMENT_ID)),
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    dialect = dialect_for(connection.dialect.name)
    with dialect.explicit_key_insert(connection, Experiment.__tablename__):
        connection.execute(insert(Experiment).values(row))


def ensure_default_experiment(bind: Connection | Session, artifact_root: str) -> bool:
    """Create the Default experiment when the store has no experiment at all; True if it did."""
    connection = _connection(bind)
    if connection.execute(select(Experiment.experiment_id).limit(1)).first() is not None:
        return False
    create_default_experiment(connection, artifact_root)
    return True


def _connection(bind: Connection | Session) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind
