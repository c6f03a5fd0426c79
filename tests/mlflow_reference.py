"""MLflow as the reference: bring a database to a revision the way MLflow does.

Shared by the MLflow suites (tests/mlflow_compat with MLflow 3.18.0, tests/mlflow_314 with
3.1.4) and the benchmarks; only their environments have MLflow, and the product never imports it.
"""

from importlib.metadata import version

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine


def mlflow_upgrade(uri: str, revision: str = "heads") -> None:
    """Create MLflow's base tables if absent, then walk MLflow's own chain to `revision`."""
    from mlflow.store.db.utils import _get_alembic_config
    from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

    engine = create_engine(uri)
    try:
        InitialBase.metadata.create_all(engine)
        config = _get_alembic_config(uri)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def mlflow_head() -> str:
    """The revision the installed MLflow's chain ends at."""
    from mlflow.store.db.utils import _get_alembic_config

    head = ScriptDirectory.from_config(_get_alembic_config("sqlite://")).get_current_head()
    assert head is not None, "MLflow's revision chain has no head"
    return head


def mlflow_version() -> str:
    """The installed MLflow's version, as its package metadata records it."""
    return version("mlflow")
