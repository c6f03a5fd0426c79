"""Logging a run's inputs: datasets (with input tags such as mlflow.data.context) and models.

A dataset is stored once per experiment by (name, digest) and linked to each run that used
it; linking it to the same run again changes nothing.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compat.upsert import insert_missing
from store.common.base import SqlStore
from store.common.tables import datasets, input_tags, inputs
from store.tracking import validation
from store.tracking.entities import DatasetInput
from store.tracking.reading import active_run_experiment, chunks

INPUT_KEY = ["source_type", "source_id", "destination_type", "destination_id"]


class InputStore(SqlStore):
    def log_inputs(
        self,
        run_id: str,
        dataset_inputs: Sequence[DatasetInput] | None = None,
        model_ids: Sequence[str] | None = None,
    ) -> None:
        """Record datasets and logged models as inputs of an active run, in one transaction."""
        validation.check_run_id(run_id)
        validation.check_dataset_inputs(dataset_inputs or [])
        first_of: dict[tuple[str, str], DatasetInput] = {}
        for dataset_input in dataset_inputs or []:
            first_of.setdefault(
                (dataset_input.dataset.name, dataset_input.dataset.digest), dataset_input
            )
        unique = list(first_of.values())
        with self.session() as session:
            experiment_id = active_run_experiment(session, run_id)
            uuids = _dataset_uuids(session, experiment_id, unique)
            _link_datasets(session, run_id, unique, uuids)
            model_rows = [
                input_row("RUN_INPUT", run_id, "MODEL_INPUT", model_id)
                for model_id in model_ids or []
            ]
            insert_missing(session.connection(), inputs, model_rows, INPUT_KEY)


def _dataset_uuids(
    session: Session, experiment_id: int, dataset_inputs: Sequence[DatasetInput]
) -> dict[tuple[str, str], str]:
    """The uuid of each dataset in the experiment, inserting the ones not stored yet."""
    names = sorted({d.dataset.name for d in dataset_inputs})
    known: dict[tuple[str, str], str] = {}
    for part in chunks(names):
        stmt = select(datasets.c.name, datasets.c.digest, datasets.c.dataset_uuid).where(
            datasets.c.experiment_id == experiment_id, datasets.c.name.in_(part)
        )
        known.update({(r.name, r.digest): r.dataset_uuid for r in session.execute(stmt)})
    new_rows = []
    for dataset_input in dataset_inputs:
        dataset = dataset_input.dataset
        if (dataset.name, dataset.digest) in known:
            continue
        known[(dataset.name, dataset.digest)] = uuid.uuid4().hex
        new_rows.append(
            {
                "dataset_uuid": known[(dataset.name, dataset.digest)],
                "experiment_id": experiment_id,
                "name": dataset.name,
                "digest": dataset.digest,
                "dataset_source_type": dataset.source_type,
                "dataset_source": dataset.source,
                "dataset_schema": dataset.schema,
                "dataset_profile": dataset.profile,
            }
        )
    if new_rows:
        session.execute(datasets.insert(), new_rows)
    return known


def _link_datasets(
    session: Session,
    run_id: str,
    dataset_inputs: Sequence[DatasetInput],
    uuids: dict[tuple[str, str], str],
) -> None:
    """Link each dataset to the run once, with its input tags; existing links stay as they are."""
    wanted = [uuids[(d.dataset.name, d.dataset.digest)] for d in dataset_inputs]
    linked: set[str] = set()
    for part in chunks(wanted):
        stmt = select(inputs.c.source_id).where(
            inputs.c.source_type == "DATASET",
            inputs.c.source_id.in_(part),
            inputs.c.destination_type == "RUN",
            inputs.c.destination_id == run_id,
        )
        linked.update(session.execute(stmt).scalars())
    links, tags = [], []
    for dataset_input, dataset_uuid in zip(dataset_inputs, wanted, strict=True):
        if dataset_uuid in linked:
            continue
        link = input_row("DATASET", dataset_uuid, "RUN", run_id)
        links.append(link)
        tags += [
            {"input_uuid": link["input_uuid"], "name": tag.key, "value": tag.value}
            for tag in {t.key: t for t in dataset_input.tags}.values()
        ]
    if links:
        session.execute(inputs.insert(), links)
    if tags:
        session.execute(input_tags.insert(), tags)


def input_row(
    source_type: str, source_id: str, destination_type: str, destination_id: str
) -> dict[str, Any]:
    return {
        "input_uuid": uuid.uuid4().hex,
        "source_type": source_type,
        "source_id": source_id,
        "destination_type": destination_type,
        "destination_id": destination_id,
        "step": 0,
    }
