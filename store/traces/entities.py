"""Trace infos as the store returns them, with MLflow's REST JSON (the V2 `TraceInfo` message).

As MLflow 3.1.4 writes it: a missing execution time is 0, and request metadata keys and
values, tag keys and tag values are cut to the lengths MLflow allows on the wire.
"""

from dataclasses import dataclass, field
from typing import Any

from store.registry.entities import without_unset

STATUSES = ("TRACE_STATUS_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS")
IN_PROGRESS = "IN_PROGRESS"
MAX_METADATA_CHARS = 250
MAX_TAG_KEY_CHARS = 250
MAX_TAG_VALUE_CHARS = 4096


@dataclass
class TraceInfo:
    request_id: str
    experiment_id: str
    timestamp_ms: int
    execution_time_ms: int | None
    status: str
    request_metadata: dict[str, str | None] = field(default_factory=dict)
    tags: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return without_unset(
            {
                "request_id": self.request_id,
                "experiment_id": self.experiment_id,
                "timestamp_ms": self.timestamp_ms,
                "execution_time_ms": self.execution_time_ms or 0,
                "status": self.status,
                "request_metadata": _cut(
                    self.request_metadata, MAX_METADATA_CHARS, MAX_METADATA_CHARS
                ),
                "tags": _cut(self.tags, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS),
            }
        )


def _cut(pairs: dict[str, str | None], key_chars: int, value_chars: int) -> list[dict[str, str]]:
    """{key, value} messages ordered by key, cut to the limits (None shows as "None", as
    MLflow renders it)."""
    return [
        {"key": key[:key_chars], "value": str(value)[:value_chars]}
        for key, value in sorted(pairs.items())
    ]
