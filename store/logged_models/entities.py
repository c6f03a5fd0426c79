"""Logged models as the store returns them, with MLflow's REST JSON (`LoggedModel` message).

The status is stored as a small integer; the JSON names it as MLflow's `LoggedModelStatus`
enum does. As in MLflow 3.1.4 the JSON leaves out the status message and carries every
metric row the model has, not only the latest per key.
"""

from dataclasses import dataclass, field
from typing import Any

from store.common.errors import StoreError
from store.registry.entities import key_values, without_unset
from store.tracking.entities import Metric

# Stored number -> (MLflow's entity name, the REST enum name).
STATUSES = {
    0: ("UNSPECIFIED", "LOGGED_MODEL_STATUS_UNSPECIFIED"),
    1: ("PENDING", "LOGGED_MODEL_PENDING"),
    2: ("READY", "LOGGED_MODEL_READY"),
    3: ("FAILED", "LOGGED_MODEL_UPLOAD_FAILED"),
}
PENDING = 1


def status_number(status: int | str) -> int:
    """The stored number of a status given as its number, entity name or REST enum name."""
    for number, names in STATUSES.items():
        if status == number or (isinstance(status, str) and status.upper() in names):
            return number
    known = ", ".join(name for names in STATUSES.values() for name in names)
    raise StoreError(f"Unknown model status: {status!r}; use one of {known}.")


@dataclass
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: int = PENDING
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: dict[str, str | None] = field(default_factory=dict)
    params: dict[str, str | None] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def status_name(self) -> str:
        return STATUSES[self.status][0]

    def to_json(self) -> dict[str, Any]:
        info = without_unset(
            {
                "model_id": self.model_id,
                "experiment_id": self.experiment_id,
                "name": self.name,
                "creation_timestamp_ms": self.creation_timestamp,
                "last_updated_timestamp_ms": self.last_updated_timestamp,
                "artifact_uri": self.artifact_location,
                "status": STATUSES[self.status][1],
                "model_type": self.model_type,
                "source_run_id": self.source_run_id,
                "tags": key_values(self.tags),
            }
        )
        data = without_unset(
            {
                "params": key_values(self.params),
                "metrics": [metric.to_json() for metric in self.metrics],
            }
        )
        return {"info": info, "data": data}
