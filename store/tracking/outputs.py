"""A run's outputs: the logged models it produced, and the history of models logged to it.

Model outputs are rows of the inputs table (RUN_OUTPUT to MODEL_OUTPUT, with the step), where
MLflow 3.1.4 keeps them; `reading` loads them back as RunOutputs. The history is the JSON list
in the run tag mlflow.log-model.history, which MLflow's spark flavor and 2.x-style logging
still append to; each entry is the summary MLflow's server derives from the model's MLmodel.
"""

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.common.base import SqlStore
from store.common.errors import BAD_REQUEST, StoreError
from store.common.json_text import listed_in_tag
from store.common.tables import inputs, tags
from store.tracking.entities import ModelOutput, Tag
from store.tracking.inputs import input_row
from store.tracking.reading import active_run_experiment, chunks
from store.tracking.runs import put_tags
from store.tracking.validation import MAX_TAG_VAL_LENGTH, check_model_output

LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
REQUIRED_MODEL_FIELDS = ("artifact_path", "flavors", "utc_time_created", "run_id")


class OutputStore(SqlStore):
    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        """Record logged models as outputs of an active run, each at its step.

        A model is an output of a run once: MLflow's primary key refuses a second row (as
        BAD_REQUEST), so a repeat here is refused with that code and a sentence instead.
        """
        for model in models:
            check_model_output(model)
        with self.session() as session:
            active_run_experiment(session, run_id)
            _refuse_repeats(session, run_id, [model.model_id for model in models])
            rows = [
                {**input_row("RUN_OUTPUT", run_id, "MODEL_OUTPUT", m.model_id), "step": m.step}
                for m in models
            ]
            if rows:
                session.execute(inputs.insert(), rows)

    def record_logged_model(self, run_id: str, model: Mapping[str, Any]) -> None:
        """Append the summary of `model` (an MLmodel as a JSON object) to the run's
        mlflow.log-model.history tag, which MLflow's UI and older clients read."""
        entry = history_entry(model)
        with self.session() as session:
            active_run_experiment(session, run_id)
            history = [*_history(session, run_id), entry]
            value = json.dumps(history)
            if len(value) > MAX_TAG_VAL_LENGTH:
                raise StoreError(
                    f"Logging this model would make the run's {LOG_MODEL_HISTORY_TAG} tag "
                    f"{len(value)} characters long, over the limit of {MAX_TAG_VAL_LENGTH}; "
                    "log it to another run."
                )
            put_tags(session, run_id, [Tag(LOG_MODEL_HISTORY_TAG, value)])


def history_entry(model: Mapping[str, Any]) -> dict[str, Any]:
    """What MLflow 3.1.4 records of a model: its run id, artifact path, creation time, uuid and
    flavors without their `config`, in that order; a null run id or path is left out and a
    missing creation time becomes the current UTC time."""
    absent = [name for name in REQUIRED_MODEL_FIELDS if name not in model]
    if absent:
        raise StoreError(
            f"The model JSON is missing the fields {', '.join(absent)}; give every one of "
            f"{', '.join(REQUIRED_MODEL_FIELDS)}."
        )
    entry = {name: model[name] for name in ("run_id", "artifact_path") if model[name] is not None}
    entry["utc_time_created"] = _created(model["utc_time_created"])
    entry["model_uuid"] = model.get("model_uuid")
    entry["flavors"] = {
        name: _without_config(config) for name, config in _flavors(model["flavors"]).items()
    }
    return entry


def _created(value: Any) -> str:
    if not value:
        return str(datetime.now(UTC).replace(tzinfo=None))
    if not isinstance(value, str):
        raise StoreError(
            f"Invalid utc_time_created {value!r} in the model JSON: give the time as a string."
        )
    return value


def _flavors(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise StoreError(
            f"Invalid flavors {value!r:.100} in the model JSON: give an object of flavor names."
        )
    return value


def _without_config(config: Any) -> Any:
    if isinstance(config, Mapping):
        return {key: value for key, value in config.items() if key != "config"}
    return config


def _history(session: Session, run_id: str) -> list[Any]:
    """The entries the run's history tag holds now; none when it is not set."""
    current = session.execute(
        select(tags.c.value).where(tags.c.run_uuid == run_id, tags.c.key == LOG_MODEL_HISTORY_TAG)
    ).scalar()
    return listed_in_tag(
        current, f"{LOG_MODEL_HISTORY_TAG} tag of run {run_id}", "logging another model"
    )


def _refuse_repeats(session: Session, run_id: str, model_ids: Sequence[str]) -> None:
    """Refuse a model listed twice, or already recorded as an output of the run."""
    repeated = {model_id for model_id, count in Counter(model_ids).items() if count > 1}
    for part in chunks(sorted(set(model_ids))):
        stmt = select(inputs.c.destination_id).where(
            inputs.c.source_type == "RUN_OUTPUT",
            inputs.c.source_id == run_id,
            inputs.c.destination_type == "MODEL_OUTPUT",
            inputs.c.destination_id.in_(part),
        )
        repeated.update(session.execute(stmt).scalars())
    if repeated:
        raise StoreError(
            f"Model {', '.join(sorted(repeated))} is already an output of run {run_id}; "
            "record each model as an output of a run once.",
            BAD_REQUEST,
        )
