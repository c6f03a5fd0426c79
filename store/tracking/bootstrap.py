"""What a store checks and adds when it opens a database, as MLflow 3.18's store does.

The Default experiment (id 0) that MLflow's clients and UI expect: MLflow inserts it whenever
its store opens a database holding no experiments at all, active or deleted, with the store's
artifact root; a database created by `db upgrade` alone has none until a store opens it.
Callers that open a store call `ensure_default_experiment` to do the same.

trackstore serves one workspace, 'default', as MLflow does when its multi-workspace mode is
off; like MLflow then, it will not open a database where experiments, registered models or
webhooks live in another workspace (`check_single_workspace`).
"""

import time

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from compat import dialect_for
from compat.errors import TrackstoreError
from store.models import Experiment, RegisteredModel
from store.models.base import DEFAULT_WORKSPACE
from store.models.webhooks import Webhook
from store.tracking.uris import append_path, resolve_local

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"


def create_default_experiment(bind: Connection | Session, artifact_root: str) -> None:
    """Insert the Default experiment, its artifacts under `artifact_root`/0, in `bind`'s
    transaction; experiment_id is an auto-increment key, so 0 needs the dialect's leave."""
    connection = _connection(bind)
    now = int(time.time() * 1000)
    row = {
        "workspace": DEFAULT_WORKSPACE,
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


def check_single_workspace(bind: Connection | Session) -> None:
    """Refuse a database that MLflow's multi-workspace mode filled beyond 'default'."""
    connection = _connection(bind)
    for model, what in (
        (Experiment, "experiments"),
        (RegisteredModel, "registered models"),
        (Webhook, "webhooks"),
    ):
        table: Table = model.__table__  # type: ignore[assignment]
        other = connection.execute(
            select(table.c.workspace).where(table.c.workspace != DEFAULT_WORKSPACE).limit(1)
        ).scalar()
        if other is not None:
            raise TrackstoreError(
                f"This database holds {what} in workspace '{other}', and trackstore serves only "
                "the 'default' workspace (as MLflow does with workspaces off); move them to "
                "'default' or serve the database with MLflow's multi-workspace mode."
            )


def _connection(bind: Connection | Session) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind
