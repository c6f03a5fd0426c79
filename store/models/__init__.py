"""The schema the store serves (`REVISION`: f4a9b2c7d1e6, MLflow 3.18.0's head) as SQLAlchemy
models, one module per area.

The tables, columns, keys, indexes, checks and triggers, and their names, are those MLflow
3.18.0's revision chain leaves on each database at REVISION; where a database differs, compat
decides (see compat.schema_types). The store reads and writes the tracking, registry,
logged-model and trace tables; the others (the gateway, jobs, scorers, evaluation datasets,
webhooks, review queues, the MCP and skill registries, trace analytics, workspaces) are here so
that a database trackstore creates is the one MLflow would. alembic_version is not a model:
stamping writes it.
"""

from sqlalchemy.engine import Connection

from store.models import (
    entity_associations,
    evaluation_datasets,
    gateway,
    gateway_policies,
    issues,
    jobs,
    mcp_registry,
    review_queues,
    scorers,
    skill_registry,
    trace_analytics,
    webhooks,
    workspaces,
)
from store.models.assessments import Assessment
from store.models.base import DEFAULT_WORKSPACE, Base
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
from store.models.spans import Span, SpanMetric
from store.models.traces import TraceInfo, TraceMetric, TraceRequestMetadata, TraceTag
from store.models.tracking import (
    Experiment,
    ExperimentTag,
    LatestMetric,
    Metric,
    Param,
    Run,
    RunTag,
)
from store.served import REVISION, SERVED

metadata = Base.metadata

# Modules whose tables the store does not serve; imported so that their tables are created.
UNSERVED_AREAS = (
    entity_associations,
    evaluation_datasets,
    gateway,
    gateway_policies,
    issues,
    jobs,
    mcp_registry,
    review_queues,
    scorers,
    skill_registry,
    trace_analytics,
    webhooks,
    workspaces,
)


def create_all(connection: Connection) -> None:
    """Create every head table (and the secrets trigger) on `connection`, an empty database,
    in the caller's transaction (the tables are not looked for first: the runner calls this
    only when there are none)."""
    metadata.create_all(connection, checkfirst=False)


__all__ = [
    "DEFAULT_WORKSPACE",
    "REVISION",
    "SERVED",
    "UNSERVED_AREAS",
    "Assessment",
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
    "Span",
    "SpanMetric",
    "TraceInfo",
    "TraceMetric",
    "TraceRequestMetadata",
    "TraceTag",
    "create_all",
    "metadata",
]
