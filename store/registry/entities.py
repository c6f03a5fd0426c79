"""Registered models and model versions as the store returns them, with MLflow's REST JSON.

`to_json` follows MLflow's protobuf rendering: a field that is unset is left out, an empty
list is left out, int64 timestamps are JSON numbers and the version is a string.
"""

from dataclasses import dataclass, field
from typing import Any

from store.tracking.entities import Tag

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
STAGE_DELETED_INTERNAL = "Deleted_Internal"
ALL_STAGES = (STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED)
ACTIVE_STAGES = (STAGE_STAGING, STAGE_PRODUCTION)
STATUS_READY = "READY"


def key_values(pairs: dict[str, str | None]) -> list[dict[str, Any]]:
    """A tag mapping as MLflow's repeated {key, value} messages, ordered by key."""
    return [Tag(key, value).to_json() for key, value in sorted(pairs.items())]


def without_unset(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` without None values and empty lists, as protobuf leaves unset fields out."""
    return {name: value for name, value in fields.items() if value is not None and value != []}


@dataclass
class ModelVersion:
    name: str
    version: int
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    description: str | None = None
    user_id: str | None = None
    current_stage: str | None = STAGE_NONE
    source: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    status: str | None = STATUS_READY
    status_message: str | None = None
    tags: dict[str, str | None] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return without_unset(
            {
                "name": self.name,
                "version": str(self.version),
                "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp,
                "user_id": self.user_id,
                "current_stage": self.current_stage,
                "description": self.description,
                "source": self.source,
                "run_id": self.run_id,
                "status": self.status,
                "status_message": self.status_message or None,
                "tags": key_values(self.tags),
                "run_link": self.run_link,
                "aliases": list(self.aliases),
            }
        )


@dataclass
class RegisteredModel:
    name: str
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str | None] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return without_unset(
            {
                "name": self.name,
                "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp or None,
                "description": self.description or None,
                "latest_versions": [version.to_json() for version in self.latest_versions],
                "tags": key_values(self.tags),
                "aliases": [
                    {"alias": alias, "version": str(version)}
                    for alias, version in sorted(self.aliases.items())
                ],
            }
        )
