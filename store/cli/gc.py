"""Permanently removing soft-deleted runs and experiments, as `mlflow gc` does.

What goes follows MLflow 3.1.4's `gc`: the deleted runs (the given ones, else every deleted
run old enough) and the deleted experiments (the given ones, else every deleted experiment old
enough). A run goes with its tags, params, metrics, latest metrics, inputs and input tags and
the logged-model metrics it recorded; an experiment goes with all its runs, its tags, datasets,
logged models and traces. Every id is checked before anything is removed; then rows go a batch
of runs per transaction, one experiment per transaction.

A run's artifacts go just before its rows, through `remove_artifacts` (given its artifact URI),
so that a collection stopped part-way leaves the run deleted and the next one finishes it.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from store.artifact_destinations.base import FileTotals
from store.common.base import SqlStore
from store.common.errors import StoreError, not_found
from store.common.tables import (
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    inputs,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    metrics,
    params,
    runs,
    tags,
    trace_info,
)
from store.traces.trace_infos import delete_trace_rows
from store.tracking.entities import DELETED
from store.tracking.experiments import now_ms
from store.tracking.reading import chunks, experiment_number

_AGE = re.compile(
    r"^((?P<days>[.\d]+?)d)?((?P<hours>[.\d]+?)h)?((?P<minutes>[.\d]+?)m)?((?P<seconds>[.\d]+?)s)?$"
)
RUNS_PER_BATCH = 500


def parse_age(text: str) -> int:
    """Milliseconds in an age such as "1d2h3m4s", "8h" or "1.5d" (MLflow's --older-than)."""
    match = _AGE.match(text)
    try:
        if match is None:
            raise ValueError(text)
        parts = {unit: float(amount) for unit, amount in match.groupdict().items() if amount}
    except ValueError:
        raise StoreError(
            f"Could not parse any time information from '{text}'; give days, hours, minutes "
            "and seconds such as '8h', '2d8h5m20s' or '2m4s'."
        ) from None
    return int(timedelta(**parts).total_seconds() * 1000)


@dataclass(frozen=True)
class Plan:
    """The runs (outside the experiments) and the experiments a collection removes."""

    run_ids: list[str]
    experiment_ids: list[int]


@dataclass
class Removed:
    """What a collection removed: runs (in and outside the experiments), experiments, and the
    artifact files of those runs with their bytes."""

    runs: int = 0
    experiments: int = 0
    artifacts: FileTotals = field(default_factory=FileTotals)

    def sentence(self) -> str:
        said = f"Removed {_count(self.runs, 'run')} and {_count(self.experiments, 'experiment')}"
        if self.artifacts.files:
            mib = self.artifacts.size / (1024 * 1024)
            said += (
                f" permanently, and {_count(self.artifacts.files, 'artifact file')} "
                f"({mib:.1f} MiB)."
            )
        else:
            said += " permanently; no artifact files were found to remove."
        return said


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


ArtifactRemover = Callable[[str], FileTotals]


class GarbageCollector(SqlStore):
    def plan(
        self,
        older_than: str | None = None,
        run_ids: Sequence[str] = (),
        experiment_ids: Sequence[str] = (),
    ) -> Plan:
        """What to remove, after checking every given id; refuses ids that are not deleted
        (or, with `older_than`, not deleted long enough)."""
        age = parse_age(older_than) if older_than is not None else None
        threshold = now_ms() - (age or 0)
        with self.read_session() as session:
            experiment_numbers = (
                _given_experiments(session, experiment_ids, older_than, threshold)
                if experiment_ids
                else _deleted_experiments(session, age is not None, threshold)
            )
            chosen_runs = (
                _given_runs(session, run_ids, older_than, threshold)
                if run_ids
                else _deleted_runs(session, age is not None, threshold)
            )
            inside = set(_runs_of(session, experiment_numbers))
        return Plan([r for r in chosen_runs if r not in inside], experiment_numbers)

    def collect(
        self,
        plan: Plan,
        report: Callable[[str], None],
        remove_artifacts: ArtifactRemover | None = None,
    ) -> Removed:
        """Remove what `plan` names, saying what went as it goes."""
        removed = Removed()
        self._remove_runs(plan.run_ids, report, remove_artifacts, removed)
        for number in plan.experiment_ids:
            with self.session() as session:
                run_ids = _runs_of(session, [number])
            self._remove_runs(run_ids, report, remove_artifacts, removed)
            with self.session() as session:
                _delete_experiment_rows(session, number)
            removed.experiments += 1
            report(f"Experiment with ID {number} has been permanently deleted.")
        return removed

    def _remove_runs(
        self,
        run_ids: Sequence[str],
        report: Callable[[str], None],
        remove_artifacts: ArtifactRemover | None,
        removed: Removed,
    ) -> None:
        for start in range(0, len(run_ids), RUNS_PER_BATCH):
            batch = run_ids[start : start + RUNS_PER_BATCH]
            if remove_artifacts is not None:
                with self.session() as session:
                    uris = _artifact_uris(session, batch)
                for uri in uris:
                    removed.artifacts += remove_artifacts(uri)
            with self.session() as session:
                _delete_run_rows(session, batch)
            removed.runs += len(batch)
            for run_id in batch:
                report(f"Run with ID {run_id} has been permanently deleted.")


def _given_runs(
    session: Session, run_ids: Sequence[str], older_than: str | None, threshold: int
) -> list[str]:
    unique = list(dict.fromkeys(run_ids))
    found = {}
    for part in chunks(unique):
        stmt = select(runs.c.run_uuid, runs.c.lifecycle_stage, runs.c.deleted_time).where(
            runs.c.run_uuid.in_(part)
        )
        found.update({row.run_uuid: row for row in session.execute(stmt)})
    for run_id in unique:
        row = found.get(run_id)
        if row is None:
            raise not_found(f"Run with id={run_id} not found; nothing was removed.")
        if row.lifecycle_stage != DELETED:
            raise StoreError(
                f"Run {run_id} is not in the deleted lifecycle stage, so it cannot be removed "
                "permanently; delete it first. Nothing was removed."
            )
        if older_than is not None and (row.deleted_time is None or row.deleted_time > threshold):
            raise StoreError(
                f"Run {run_id} was not deleted more than {older_than} ago, so --older-than "
                "keeps it; drop it from --run-ids or wait. Nothing was removed."
            )
    return unique


def _deleted_runs(session: Session, aged: bool, threshold: int) -> list[str]:
    """Every deleted run; with an age, only those deleted at or before `threshold` (a run
    deleted before deletion times were recorded has none, so only goes without an age)."""
    stmt = select(runs.c.run_uuid).where(runs.c.lifecycle_stage == DELETED)
    if aged:
        stmt = stmt.where(runs.c.deleted_time <= threshold)
    return list(session.execute(stmt.order_by(runs.c.run_uuid)).scalars())


def _given_experiments(
    session: Session, experiment_ids: Sequence[str], older_than: str | None, threshold: int
) -> list[int]:
    numbers = []
    for given in dict.fromkeys(experiment_ids):
        number = experiment_number(given)
        row = None
        if number is not None:
            stmt = select(experiments).where(experiments.c.experiment_id == number)
            row = session.execute(stmt).first()
        if row is None:
            raise not_found(f"No Experiment with id={given} exists; nothing was removed.")
        if row.lifecycle_stage != DELETED:
            raise StoreError(
                f"Experiment {given} is not in the deleted lifecycle stage, so it cannot be "
                "removed permanently; delete it first. Nothing was removed."
            )
        if older_than is not None and (
            row.last_update_time is None or row.last_update_time >= threshold
        ):
            raise StoreError(
                f"Experiment {given} was not deleted more than {older_than} ago, so "
                "--older-than keeps it; drop it from --experiment-ids or wait. "
                "Nothing was removed."
            )
        numbers.append(row.experiment_id)
    return numbers


def _deleted_experiments(session: Session, aged: bool, threshold: int) -> list[int]:
    stmt = select(experiments.c.experiment_id).where(experiments.c.lifecycle_stage == DELETED)
    if aged:
        stmt = stmt.where(experiments.c.last_update_time < threshold)
    return list(session.execute(stmt.order_by(experiments.c.experiment_id)).scalars())


def _runs_of(session: Session, experiment_numbers: Sequence[int]) -> list[str]:
    found: list[str] = []
    for part in chunks(list(experiment_numbers)):
        stmt = select(runs.c.run_uuid).where(runs.c.experiment_id.in_(part))
        found += session.execute(stmt.order_by(runs.c.run_uuid)).scalars()
    return found


def _artifact_uris(session: Session, run_ids: Sequence[str]) -> list[str]:
    stmt = select(runs.c.artifact_uri).where(
        runs.c.run_uuid.in_(list(run_ids)), runs.c.artifact_uri.is_not(None)
    )
    found: list[str] = list(session.execute(stmt).scalars())
    return [uri for uri in found if uri]


def _delete_run_rows(session: Session, run_ids: Sequence[str]) -> None:
    """Delete runs with everything that hangs off them, `run_ids` a chunk per statement."""
    for part in chunks(list(run_ids)):
        run_inputs = select(inputs.c.input_uuid).where(
            or_(
                and_(inputs.c.destination_type == "RUN", inputs.c.destination_id.in_(part)),
                and_(
                    inputs.c.source_type.in_(("RUN_INPUT", "RUN_OUTPUT")),
                    inputs.c.source_id.in_(part),
                ),
            )
        )
        _delete_inputs(session, list(session.execute(run_inputs).scalars()))
        session.execute(delete(logged_model_metrics).where(logged_model_metrics.c.run_id.in_(part)))
        for table in (tags, params, metrics, latest_metrics):
            session.execute(delete(table).where(table.c.run_uuid.in_(part)))
        session.execute(delete(runs).where(runs.c.run_uuid.in_(part)))


def _delete_experiment_rows(session: Session, number: int) -> None:
    """Delete what is left of an experiment once its runs are gone."""
    dataset_ids: list[str] = list(
        session.execute(
            select(datasets.c.dataset_uuid).where(datasets.c.experiment_id == number)
        ).scalars()
    )
    for part in chunks(dataset_ids):
        used = select(inputs.c.input_uuid).where(
            inputs.c.source_type == "DATASET", inputs.c.source_id.in_(part)
        )
        _delete_inputs(session, list(session.execute(used).scalars()))
    model_ids = select(logged_models.c.model_id).where(logged_models.c.experiment_id == number)
    session.execute(
        delete(logged_model_metrics).where(
            or_(
                logged_model_metrics.c.experiment_id == number,
                logged_model_metrics.c.model_id.in_(model_ids),
            )
        )
    )
    for table in (logged_model_params, logged_model_tags):
        session.execute(delete(table).where(table.c.model_id.in_(model_ids)))
    trace_ids = select(trace_info.c.request_id).where(trace_info.c.experiment_id == number)
    delete_trace_rows(session, list(session.execute(trace_ids).scalars()))
    for table in (logged_models, datasets, experiment_tags, experiments):
        session.execute(delete(table).where(table.c.experiment_id == number))


def _delete_inputs(session: Session, input_ids: Sequence[str]) -> None:
    for part in chunks(list(input_ids)):
        session.execute(delete(input_tags).where(input_tags.c.input_uuid.in_(part)))
        session.execute(delete(inputs).where(inputs.c.input_uuid.in_(part)))
