"""What an import will do, decided before it writes anything: which experiments are new,
which the target has from an earlier import (so only their missing runs go in), and which
clash with what the target holds.

An experiment of the target is the file store's own when it has the same name and either the
same id or the SOURCE_ID_TAG naming that id. A clash is an experiment name or id the target
gives to another experiment, a run id the target keeps in another experiment, or a registered
model name the target has with another creation time.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from store.common import tables
from store.filestore_import import layout
from store.filestore_import.layout import Problem, Unreadable
from store.filestore_import.rows import registered_model_row
from store.filestore_import.sinks import SOURCE_ID_TAG
from store.tracking.reading import chunks


@dataclass
class SourceExperiment:
    """An experiment folder of the file store, and what the plan decided for it."""

    folder: Path
    meta: dict[str, Any]
    source_id: int
    name: str
    run_ids: list[str]
    target_id: int | None = None
    skip_runs: set[str] = field(default_factory=set)
    skipped: bool = False

    @property
    def deleted(self) -> bool:
        return self.folder.parent.name == layout.TRASH


@dataclass
class SourceModel:
    folder: Path
    meta: dict[str, Any]
    name: str
    skipped: bool = False


@dataclass
class Plan:
    experiments: list[SourceExperiment]
    models: list[SourceModel]
    conflicts: list[str] = field(default_factory=list)
    already_there: int = 0


def scan(root: Path, problems: list[Problem]) -> Plan:
    """Read every experiment's and registered model's meta.yaml; list each experiment's runs."""
    experiments: list[SourceExperiment] = []
    for folder in layout.experiment_folders(root):
        try:
            meta = layout.read_meta(folder)
        except Unreadable as exc:
            problems.append(Problem(folder / layout.META, str(exc)))
            continue
        runs = [run.name for run in layout.run_folders(folder)]
        experiments.append(
            SourceExperiment(folder, meta, int(folder.name), str(meta.get("name", "")), runs)
        )
    # Ids that the target's id column holds first: they are inserted as they are, and the
    # others then get ids beyond them.
    experiments.sort(key=lambda e: (e.source_id > 2**31 - 1, e.deleted, e.source_id))
    models: list[SourceModel] = []
    for folder in layout.subfolders(root / layout.REGISTRY):
        try:
            meta = layout.read_meta(folder)
        except Unreadable as exc:
            problems.append(Problem(folder / layout.META, str(exc)))
            continue
        models.append(SourceModel(folder, meta, str(meta.get("name") or folder.name)))
    return Plan(experiments, models)


def compare(connection: Connection | None, plan: Plan, skip_existing: bool) -> None:
    """Decide each experiment's, run's and model's fate against the target's rows."""
    if connection is None:
        return
    _match_experiments(connection, plan, skip_existing)
    _match_runs(connection, plan, skip_existing)
    _match_models(connection, plan, skip_existing)


def _match_experiments(connection: Connection, plan: Plan, skip_existing: bool) -> None:
    e = tables.experiments
    by_id: dict[int, str] = {}
    by_name: dict[str, int] = {}
    for row in connection.execute(select(e.c.experiment_id, e.c.name)):
        by_id[row.experiment_id] = row.name
        by_name[row.name] = row.experiment_id
    t = tables.experiment_tags
    tagged = {
        int(row.value): row.experiment_id
        for row in connection.execute(
            select(t.c.value, t.c.experiment_id).where(t.c.key == SOURCE_ID_TAG)
        )
    }
    for source in plan.experiments:
        mine = tagged.get(source.source_id, source.source_id)
        holder = by_name.get(source.name)
        if holder is not None and holder == mine:
            source.target_id = mine
            plan.already_there += 1
        elif holder is not None:
            _clash(plan, source, skip_existing, f"the target's experiment {holder} has its name")
        elif source.source_id in by_id:
            other = by_id[source.source_id]
            _clash(plan, source, skip_existing, f"the target's experiment of that id is '{other}'")


def _clash(plan: Plan, source: SourceExperiment, skip_existing: bool, why: str) -> None:
    source.skipped = skip_existing
    plan.conflicts.append(f"experiment {source.source_id} '{source.name}': {why}")


def _match_runs(connection: Connection, plan: Plan, skip_existing: bool) -> None:
    wanted = {run: e for e in plan.experiments if not e.skipped for run in e.run_ids}
    r = tables.runs
    for part in chunks(sorted(wanted)):
        query = select(r.c.run_uuid, r.c.experiment_id).where(r.c.run_uuid.in_(part))
        for row in connection.execute(query):
            source = wanted[row.run_uuid]
            if row.experiment_id == source.target_id:
                source.skip_runs.add(row.run_uuid)
                continue
            plan.conflicts.append(
                f"run {row.run_uuid} of experiment '{source.name}': the target keeps it in "
                f"experiment {row.experiment_id}"
            )
            if skip_existing:
                source.skip_runs.add(row.run_uuid)


def _match_models(connection: Connection, plan: Plan, skip_existing: bool) -> None:
    m = tables.registered_models
    names = [model.name for model in plan.models]
    stored: dict[str, Any] = {}
    for part in chunks(names):
        query = select(m.c.name, m.c.creation_time).where(m.c.name.in_(part))
        stored.update({row.name: row.creation_time for row in connection.execute(query)})
    for model in plan.models:
        if model.name not in stored:
            continue
        if stored[model.name] != registered_model_row(model.meta, model.name)["creation_time"]:
            model.skipped = skip_existing
            plan.conflicts.append(
                f"registered model '{model.name}': the target has one of that name, created "
                "at another time"
            )


def conflict_sentence(conflicts: Sequence[str]) -> str:
    return (
        f"The target already holds {len(conflicts)} of the file store's entries under other "
        "ids or names (listed above); nothing was imported: import into another database, "
        "or add --skip-existing to import everything else."
    )
