"""The schema the store serves (`REVISION`) as SQLAlchemy models, one module per concern.

The tables, columns, keys, indexes and checks, and their names, are those MLflow 3.1.4 leaves
on each database at REVISION; where a database differs, compat decides (see
compat.schema_types). alembic_version is not a model: stamping writes it. The revision chain in
migrations/ may go further than REVISION; the store serves, creates and verifies this one.
"""

from sqlalchemy.engine import Connection

from migrations.runner import ServedSchema
from store.models.base import Base
from store.models.datasets import Dataset, Input, InputTag
from store.models.logged_models import (
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
)
from store.models.registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from store.models.traces import TraceInfo, TraceRequestMetadata, TraceTag
from store.models.tracking import (
    Experiment,
    ExperimentTag,
    LatestMetric,
    Metric,
    Param,
    Run,
    RunTag,
)

metadata = Base.metadata
# The revision these models describe: the one `trackstore db upgrade` goes to by default, and
# the only one the guard serves.
REVISION = "bda7b8c39065"


def create_all(connection: Connection) -> None:
    """Create every head table on `connection`, an empty database, in the caller's transaction
    (the tables are not looked for first: the runner calls this only when there are none)."""
    metadata.create_all(connection, checkfirst=False)


# What migrations need to create, upgrade to and verify the schema this store serves.
SERVED = ServedSchema(REVISION, metadata, create_all)


__all__ = [
    "REVISION",
    "SERVED",
    "Base",
    "Dataset",
    "Experiment",
    "ExperimentTag",
    "Input",
    "InputTag",
    "LatestMetric",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelParam",
    "LoggedModelTag",
    "Metric",
    "ModelVersion",
    "ModelVersionTag",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "Run",
    "RunTag",
    "TraceInfo",
    "TraceRequestMetadata",
    "TraceTag",
    "create_all",
    "metadata",
]
