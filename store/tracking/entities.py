"""What the tracking store returns: plain dataclasses whose `to_json()` is MLflow's REST JSON.

They are slotted and not frozen, because a page of results builds many thousands of them and
frozen dataclasses are several times slower to create; treat them as values all the same.
The JSON follows MLflow's protobuf messages as its server writes them: snake_case field
names in field-number order, 64-bit integers as numbers, unset fields left out, empty lists
left out, and NaN and infinities as the strings "NaN", "Infinity" and "-Infinity".
"""

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from store.common.errors import StoreError

JsonObject = dict[str, Any]


class ViewType(Enum):
    """Which lifecycle stages a search returns, with MLflow's numbers and names."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def of(cls, value: "ViewType | int | str | None") -> "ViewType":
        """The view type that `value` names (an enum, its number, or its name); None: active."""
        if value is None:
            return cls.ACTIVE_ONLY
        if isinstance(value, ViewType):
            return value
        try:
            return cls(value) if isinstance(value, int) else cls[value.upper()]
        except (KeyError, ValueError):
            raise StoreError(
                f"Invalid view type {value!r}: use ACTIVE_ONLY, DELETED_ONLY or ALL."
            ) from None

    def stages(self) -> tuple[str, ...]:
        return {
            ViewType.ACTIVE_ONLY: (ACTIVE,),
            ViewType.DELETED_ONLY: (DELETED,),
            ViewType.ALL: (ACTIVE, DELETED),
        }[self]


ACTIVE = "active"
DELETED = "deleted"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


def json_number(value: float) -> float | str:
    """A double as protobuf's JSON writes it: NaN and infinities become strings."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _present(pairs: list[tuple[str, Any]]) -> JsonObject:
    """The JSON object of `pairs` without the unset (None) and empty-list members."""
    return {name: value for name, value in pairs if value is not None and value != []}


@dataclass(slots=True)
class Tag:
    """A key and value: a run tag, an experiment tag, a param or a dataset input tag."""

    key: str
    value: str | None

    def to_json(self) -> JsonObject:
        """Written directly: a page of runs holds thousands of tags and params."""
        if self.value is None:
            return {"key": self.key}
        return {"key": self.key, "value": self.value}


Param = Tag


@dataclass(slots=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None
    run_id: str | None = None

    def to_json(self) -> JsonObject:
        """A run holds many metrics, so the usual one (no dataset, model or run fields) is
        written directly."""
        if not (self.dataset_name or self.dataset_digest or self.model_id or self.run_id):
            return {
                "key": self.key,
                "value": json_number(self.value),
                "timestamp": self.timestamp,
                "step": self.step,
            }
        return _present(
            [
                ("key", self.key),
                ("value", json_number(self.value)),
                ("timestamp", self.timestamp),
                ("step", self.step),
                ("dataset_name", self.dataset_name or None),
                ("dataset_digest", self.dataset_digest or None),
                ("model_id", self.model_id or None),
                ("run_id", self.run_id or None),
            ]
        )


@dataclass(slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None

    def to_json(self) -> JsonObject:
        return _present(
            [
                ("name", self.name),
                ("digest", self.digest),
                ("source_type", self.source_type),
                ("source", self.source),
                ("schema", self.schema or None),
                ("profile", self.profile or None),
            ]
        )


@dataclass(slots=True)
class DatasetInput:
    dataset: Dataset
    tags: list[Tag] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return _present(
            [("tags", [t.to_json() for t in self.tags]), ("dataset", self.dataset.to_json())]
        )


@dataclass(slots=True)
class ModelOutput:
    model_id: str
    step: int

    def to_json(self) -> JsonObject:
        return {"model_id": self.model_id, "step": self.step}


@dataclass(slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str | None
    user_id: str | None
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str | None
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        return self.run_id

    def to_json(self) -> JsonObject:
        return _present(
            [
                ("run_uuid", self.run_id),
                ("experiment_id", self.experiment_id),
                ("run_name", self.run_name),
                ("user_id", self.user_id),
                ("status", self.status),
                ("start_time", self.start_time),
                ("end_time", self.end_time or None),
                ("artifact_uri", self.artifact_uri or None),
                ("lifecycle_stage", self.lifecycle_stage),
                ("run_id", self.run_id),
            ]
        )


@dataclass(slots=True)
class RunData:
    """The run's latest metric values, params and tags."""

    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return _present(
            [
                ("metrics", [m.to_json() for m in self.metrics]),
                ("params", [p.to_json() for p in self.params]),
                ("tags", [t.to_json() for t in self.tags]),
            ]
        )

    def metric_values(self) -> dict[str, float]:
        return {metric.key: metric.value for metric in self.metrics}

    def param_values(self) -> dict[str, str | None]:
        return {param.key: param.value for param in self.params}

    def tag_values(self) -> dict[str, str | None]:
        return {tag.key: tag.value for tag in self.tags}


@dataclass(slots=True)
class RunInputs:
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return _present(
            [
                ("dataset_inputs", [d.to_json() for d in self.dataset_inputs]),
                ("model_inputs", [{"model_id": model_id} for model_id in self.model_ids]),
            ]
        )


@dataclass(slots=True)
class RunOutputs:
    model_outputs: list[ModelOutput] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return _present([("model_outputs", [m.to_json() for m in self.model_outputs])])


@dataclass(slots=True)
class Run:
    """A run as get_run and search_runs return it; outputs None where none were read (a run
    just created or updated)."""

    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs | None = None

    def to_json(self) -> JsonObject:
        body = {
            "info": self.info.to_json(),
            "data": self.data.to_json(),
            "inputs": self.inputs.to_json(),
        }
        if self.outputs is not None:
            body["outputs"] = self.outputs.to_json()
        return body


@dataclass(slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str | None
    lifecycle_stage: str
    last_update_time: int | None = None
    creation_time: int | None = None
    tags: list[Tag] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return _present(
            [
                ("experiment_id", self.experiment_id),
                ("name", self.name),
                ("artifact_location", self.artifact_location),
                ("lifecycle_stage", self.lifecycle_stage),
                ("last_update_time", self.last_update_time or None),
                ("creation_time", self.creation_time or None),
                ("tags", [t.to_json() for t in self.tags]),
            ]
        )

    def tag_values(self) -> dict[str, str | None]:
        return {tag.key: tag.value for tag in self.tags}
