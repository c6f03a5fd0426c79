"""Reading runs and experiments into entities, a page at a time.

A page of runs costs one query for the runs and one per kind of child row (latest metrics,
params, tags, dataset inputs), each over the page's run ids, never one query per run.
"""

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Select, Table, and_, bindparam, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from compat.prepared import PreparedSelect
from store.common.errors import StoreError, not_found
from store.common.tables import (
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    inputs,
    latest_metrics,
    params,
    runs,
    tags,
)
from store.tracking.entities import (
    ACTIVE,
    DELETED,
    Dataset,
    DatasetInput,
    Experiment,
    Metric,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    Tag,
)
from store.tracking.run_search import RUN_NAME_TAG

RUN_ID: BindParameter[str] = bindparam("run_id")
_RUN = select(runs).where(runs.c.run_uuid == RUN_ID)

# Ids bound in one IN list: well below every database's limit on bound parameters.
IDS_PER_QUERY = 900
# Run ids in one prepared read of child rows: a power of two (see `_bucket`).
MAX_IDS_PER_READ = 512


def chunks(ids: Sequence[Any], size: int = IDS_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def find_run(session: Session, run_id: str) -> Row[Any]:
    """The runs row of `run_id`, or RESOURCE_DOES_NOT_EXIST."""
    row = session.connection().execute(_RUN, {RUN_ID.key: run_id}).first()
    if row is None:
        raise _no_such_run(run_id)
    return row


def _no_such_run(run_id: str) -> StoreError:
    """MLflow's refusal of a run id it does not hold."""
    return not_found(f"Run with id={run_id} not found")


def active_run_experiment(session: Session, run_id: str) -> int:
    """The experiment of `run_id`, when the run exists and is active; else refused with
    MLflow's codes and wording. One prepared query: every logging call asks it first."""
    found = _PREPARED_RUN_STAGE.rows(session.connection(), {RUN_ID.key: run_id})
    if not found:
        raise _no_such_run(run_id)
    stage, experiment_id = found[0]
    if stage != ACTIVE:
        raise StoreError(
            f"The run {run_id} must be in the 'active' state. Current state is {stage}."
        )
    return int(experiment_id)


def metric_value(value: float, is_nan: bool) -> float:
    return math.nan if is_nan else float(value)


def load_run(session: Session, run_id: str) -> Run:
    """The run with its children, model inputs and outputs (a get_run); every query is one
    prepared for a single run (see compat.prepared)."""
    found = _PREPARED_RUN.mappings(session.connection(), {RUN_ID.key: run_id})
    if not found:
        raise _no_such_run(run_id)
    return load_runs(session, found, with_model_inputs=True)[0]


def load_runs(
    session: Session, rows: Sequence[Mapping[Any, Any]], *, with_model_inputs: bool
) -> list[Run]:
    """Entities for runs rows, with latest metrics, params, tags, dataset inputs and model
    outputs.

    `with_model_inputs` (get_run) adds the models the run took as inputs, which search does not
    list, reading one run's models through a prepared statement.
    """
    ids = [row["run_uuid"] for row in rows]
    metrics = _latest_metrics(session, ids)
    param_rows = _key_value_children(session, _PARAMS, ids)
    tag_rows = _key_value_children(session, _TAGS, ids)
    dataset_inputs = _dataset_inputs(session, ids)
    page_outputs = defaultdict(list) if with_model_inputs else _model_outputs(session, ids)
    loaded = []
    for row in rows:
        run_id = row["run_uuid"]
        data = RunData(metrics[run_id], param_rows[run_id], tag_rows[run_id])
        run_inputs = RunInputs(dataset_inputs[run_id])
        outputs = RunOutputs(page_outputs[run_id])
        if with_model_inputs:
            model_inputs, model_outputs = _models(session, run_id)
            run_inputs = RunInputs(dataset_inputs[run_id], model_inputs)
            outputs = RunOutputs(model_outputs)
        loaded.append(Run(run_info(row, data), data, run_inputs, outputs))
    return loaded


def run_info(row: Mapping[Any, Any], data: RunData | None = None) -> RunInfo:
    """RunInfo of a runs row; an empty name falls back to the mlflow.runName tag, as in MLflow."""
    name = row["name"]
    if not name and data is not None:
        name = data.tag_values().get(RUN_NAME_TAG) or name
    return RunInfo(
        run_id=row["run_uuid"],
        experiment_id=str(row["experiment_id"]),
        run_name=name,
        user_id=row["user_id"],
        status=row["status"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        artifact_uri=row["artifact_uri"],
        lifecycle_stage=row["lifecycle_stage"],
    )


def _key_values(table: Table) -> Select[Any]:
    return select(table.c.run_uuid, table.c.key, table.c.value).order_by(table.c.key)


# The statements that read a run's children, run id first. Built once: building and keying a
# statement costs more than running it for one run (see `_per_owner_rows`).
_LATEST_METRICS = (
    select(latest_metrics.c.run_uuid, latest_metrics.c.key, latest_metrics.c.value)
    .add_columns(latest_metrics.c.timestamp, latest_metrics.c.step, latest_metrics.c.is_nan)
    .order_by(latest_metrics.c.key)
)
_PARAMS = _key_values(params)
_TAGS = _key_values(tags)
_EXPERIMENT_TAGS = select(
    experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value
).order_by(experiment_tags.c.key)
_DATASET_INPUTS = (
    select(inputs.c.destination_id, inputs.c.input_uuid, datasets, input_tags.c.name.label("tag"))
    .add_columns(input_tags.c.value.label("tag_value"))
    .join(datasets, datasets.c.dataset_uuid == inputs.c.source_id)
    .outerjoin(input_tags, input_tags.c.input_uuid == inputs.c.input_uuid)
    .where(inputs.c.destination_type == "RUN", inputs.c.source_type == "DATASET")
    .order_by(inputs.c.destination_id, datasets.c.name, datasets.c.digest, input_tags.c.name)
)
_MODELS = (
    select(inputs.c.source_type, inputs.c.destination_id, inputs.c.step)
    .where(
        inputs.c.source_id == RUN_ID,
        or_(
            and_(inputs.c.source_type == "RUN_INPUT", inputs.c.destination_type == "MODEL_INPUT"),
            and_(inputs.c.source_type == "RUN_OUTPUT", inputs.c.destination_type == "MODEL_OUTPUT"),
        ),
    )
    .order_by(inputs.c.step, inputs.c.destination_id)
)


# The models each run output, for a page of runs (search_runs lists outputs, not model inputs).
_MODEL_OUTPUTS = select(inputs.c.source_id, inputs.c.destination_id, inputs.c.step).where(
    inputs.c.source_type == "RUN_OUTPUT", inputs.c.destination_type == "MODEL_OUTPUT"
)
_PREPARED_MODELS = PreparedSelect(_MODELS)
_PREPARED_RUN = PreparedSelect(_RUN)
_PREPARED_RUN_STAGE = PreparedSelect(
    select(runs.c.lifecycle_stage, runs.c.experiment_id).where(runs.c.run_uuid == RUN_ID)
)


def _per_owner_rows(
    session: Session, stmt: Select[Any], ids: Sequence[Any]
) -> Iterable[Sequence[Any]]:
    """Rows of `stmt` whose first column (a run or experiment id) is one of `ids`, straight
    from the driver (see compat.prepared): a page of runs reads thousands of child rows, and
    SQLAlchemy's Row and its expansion of an IN list cost more per row than the database."""
    connection = session.connection()
    if len(ids) == 1:
        return _for_one_run(stmt).rows(connection, {RUN_ID.key: ids[0]})
    return (
        row
        for part in chunks(ids, MAX_IDS_PER_READ)
        for row in _for_owners(stmt, _bucket(len(part))).rows(connection, _id_params(part))
    )


def _per_run_mappings(
    session: Session, stmt: Select[Any], ids: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """The same rows as mappings of the selected columns' names."""
    names = stmt.selected_columns.keys()
    return (dict(zip(names, row, strict=True)) for row in _per_owner_rows(session, stmt, ids))


@functools.cache
def _for_one_run(stmt: Select[Any]) -> PreparedSelect:
    return PreparedSelect(stmt.where(stmt.selected_columns[0] == RUN_ID))


@functools.cache
def _for_owners(stmt: Select[Any], size: int) -> PreparedSelect:
    """`stmt` for up to `size` owners: one IN list of `size` parameters, `_id_params` fills."""
    holders: list[BindParameter[Any]] = [bindparam(f"owner_{index}") for index in range(size)]
    return PreparedSelect(stmt.where(stmt.selected_columns[0].in_(holders)))


def _bucket(count: int) -> int:
    """The next power of two: a few statement shapes per child kind, whatever the page size."""
    return 1 << max(count - 1, 0).bit_length()


def _id_params(ids: Sequence[Any]) -> dict[str, Any]:
    """The parameters of `_for_runs` for `ids`; the last id repeats to fill the bucket."""
    size = _bucket(len(ids))
    return {f"owner_{index}": ids[min(index, len(ids) - 1)] for index in range(size)}


def _latest_metrics(session: Session, ids: Sequence[str]) -> defaultdict[str, list[Metric]]:
    """The latest metrics of each run. This and `_key_value_children` unpack each row in the
    loop itself: a page of runs holds thousands of child rows."""
    found: defaultdict[str, list[Metric]] = defaultdict(list)
    for run_id, key, value, timestamp, step, is_nan in _per_owner_rows(
        session, _LATEST_METRICS, ids
    ):
        found[run_id].append(Metric(key, metric_value(value, is_nan), timestamp, step))
    return found


def _key_value_children(
    session: Session, stmt: Select[Any], ids: Sequence[str]
) -> defaultdict[str, list[Tag]]:
    """The params or tags (`stmt`: run id, key, value) of each run."""
    found: defaultdict[str, list[Tag]] = defaultdict(list)
    for run_id, key, value in _per_owner_rows(session, stmt, ids):
        found[run_id].append(Tag(key, value))
    return found


def _model_outputs(session: Session, ids: Sequence[str]) -> defaultdict[str, list[ModelOutput]]:
    """The models each run of a page output (search lists outputs, not model inputs)."""
    found: defaultdict[str, list[ModelOutput]] = defaultdict(list)
    for run_id, model_id, step in _per_owner_rows(session, _MODEL_OUTPUTS, ids):
        found[run_id].append(ModelOutput(model_id, step))
    return found


def _dataset_inputs(session: Session, ids: Sequence[str]) -> defaultdict[str, list[DatasetInput]]:
    found: defaultdict[str, dict[str, DatasetInput]] = defaultdict(dict)
    for row in _per_run_mappings(session, _DATASET_INPUTS, ids):
        per_run = found[row["destination_id"]]
        input_uuid = row["input_uuid"]
        if input_uuid not in per_run:
            per_run[input_uuid] = DatasetInput(_dataset(row), [])
        if row["tag"] is not None:
            per_run[input_uuid].tags.append(Tag(row["tag"], row["tag_value"]))
    return defaultdict(list, {run_id: list(d.values()) for run_id, d in found.items()})


def _dataset(row: Mapping[str, Any]) -> Dataset:
    return Dataset(
        name=row["name"],
        digest=row["digest"],
        source_type=row["dataset_source_type"],
        source=row["dataset_source"],
        schema=row["dataset_schema"],
        profile=row["dataset_profile"],
    )


def _models(session: Session, run_id: str) -> tuple[list[str], list[ModelOutput]]:
    """The ids of the logged models the run took as inputs, and the models it output."""
    rows = _PREPARED_MODELS.rows(session.connection(), {RUN_ID.key: run_id})
    model_inputs = sorted(model for kind, model, _ in rows if kind == "RUN_INPUT")
    outputs = [ModelOutput(model, step) for kind, model, step in rows if kind == "RUN_OUTPUT"]
    return model_inputs, outputs


def load_experiments(session: Session, rows: Sequence[Row[Any]]) -> list[Experiment]:
    """Entities for experiments rows, with their tags."""
    ids = [row.experiment_id for row in rows]
    found: defaultdict[int, list[Tag]] = defaultdict(list)
    for experiment_id, key, value in _per_owner_rows(session, _EXPERIMENT_TAGS, ids):
        found[experiment_id].append(Tag(key, value))
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=row.lifecycle_stage,
            last_update_time=row.last_update_time,
            creation_time=row.creation_time,
            tags=found[row.experiment_id],
        )
        for row in rows
    ]


def find_experiment(session: Session, experiment_id: str | int, stages: Sequence[str]) -> Row[Any]:
    """The experiments row of `experiment_id` in one of `stages`, or RESOURCE_DOES_NOT_EXIST."""
    number = experiment_number(experiment_id)
    row = None
    if number is not None:
        stmt = select(experiments).where(
            experiments.c.experiment_id == number, experiments.c.lifecycle_stage.in_(stages)
        )
        row = session.execute(stmt).first()
    if row is None:
        raise not_found(f"No Experiment with id={experiment_id} exists")
    return row


def active_experiment(session: Session, experiment_id: str | int) -> Row[Any]:
    """The experiments row, which must exist and be active (else INVALID_PARAMETER_VALUE)."""
    row = find_experiment(session, experiment_id, (ACTIVE, DELETED))
    if row.lifecycle_stage != ACTIVE:
        raise StoreError(
            f"The experiment {row.experiment_id} must be in the 'active' state. "
            f"Current state is {row.lifecycle_stage}."
        )
    return row


def experiment_number(experiment_id: str | int | None) -> int | None:
    """An experiment id as the integer the table keys it by; None when it cannot be one."""
    try:
        number = int(str(experiment_id).strip())
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None
