"""The tables an empty database gets before the first revision, as MLflow's base creates them.

These are the five tables of MLflow 0.9.1, the oldest schema the revision chain upgrades from.
They are frozen history: the revisions, not this module, carry every later change. The check
constraint names, the unnamed foreign keys and the unique key beside the primary key are part
of the contract, because later revisions (and MLflow itself) find them by those names.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

LIFECYCLE_STAGES = ("active", "deleted")
SOURCE_TYPES = ("NOTEBOOK", "JOB", "LOCAL", "UNKNOWN", "PROJECT")
RUN_STATUSES = ("SCHEDULED", "FAILED", "FINISHED", "RUNNING")
KEY_LENGTH = 250
RUN_UUID_LENGTH = 32


def _run_uuid() -> sa.Column[str]:
    return sa.Column("run_uuid", sa.String(RUN_UUID_LENGTH), sa.ForeignKey("runs.run_uuid"))


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sa.column(column).in_(values), name=name)


sa.Table(
    "experiments",
    metadata,
    sa.Column("experiment_id", sa.Integer(), autoincrement=True),
    sa.Column("name", sa.String(256), unique=True, nullable=False),
    sa.Column("artifact_location", sa.String(256)),
    sa.Column("lifecycle_stage", sa.String(32)),
    _one_of("lifecycle_stage", LIFECYCLE_STAGES, "experiments_lifecycle_stage"),
    sa.PrimaryKeyConstraint("experiment_id", name="experiment_pk"),
)

sa.Table(
    "runs",
    metadata,
    sa.Column("run_uuid", sa.String(RUN_UUID_LENGTH), nullable=False),
    sa.Column("name", sa.String(250)),
    sa.Column("source_type", sa.String(20)),
    sa.Column("source_name", sa.String(500)),
    sa.Column("entry_point_name", sa.String(50)),
    sa.Column("user_id", sa.String(256)),
    sa.Column("status", sa.String(20)),
    sa.Column("start_time", sa.BigInteger()),
    sa.Column("end_time", sa.BigInteger()),
    sa.Column("source_version", sa.String(50)),
    sa.Column("lifecycle_stage", sa.String(20)),
    sa.Column("artifact_uri", sa.String(200)),
    sa.Column("experiment_id", sa.Integer(), sa.ForeignKey("experiments.experiment_id")),
    _one_of("source_type", SOURCE_TYPES, "source_type"),
    _one_of("status", RUN_STATUSES, "status"),
    _one_of("lifecycle_stage", LIFECYCLE_STAGES, "runs_lifecycle_stage"),
    sa.PrimaryKeyConstraint("run_uuid", name="run_pk"),
)

sa.Table(
    "tags",
    metadata,
    sa.Column("key", sa.String(KEY_LENGTH)),
    sa.Column("value", sa.String(250)),
    _run_uuid(),
    sa.PrimaryKeyConstraint("key", "run_uuid", name="tag_pk"),
)

sa.Table(
    "metrics",
    metadata,
    sa.Column("key", sa.String(KEY_LENGTH)),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("timestamp", sa.BigInteger()),
    _run_uuid(),
    sa.PrimaryKeyConstraint("key", "timestamp", "run_uuid", name="metric_pk"),
)

sa.Table(
    "params",
    metadata,
    sa.Column("key", sa.String(KEY_LENGTH)),
    sa.Column("value", sa.String(250), nullable=False),
    _run_uuid(),
    sa.PrimaryKeyConstraint("key", "run_uuid", name="param_pk"),
)
