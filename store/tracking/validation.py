"""The checks MLflow makes on what a client logs, with its limits and its words.

Each check raises StoreError (INVALID_PARAMETER_VALUE) before anything is written; a field is
named by its path in the request, as MLflow names it (`key`, `metrics[1].name`, `tags[0].key`).
Param and tag values that are too long are cut to the limit while MLFLOW_TRUNCATE_LONG_VALUES is
true (its default), as MLflow does; keys that are too long are always refused.
"""

import functools
import numbers
import os
import posixpath
import re
from collections.abc import Sequence

from store.common.errors import (
    StoreError,
    bad_name_characters,
    invalid_value,
    missing_value,
    name_resolves_elsewhere,
    too_long,
)
from store.models.base import UUID_LENGTH
from store.tracking.entities import Dataset, DatasetInput, Metric, ModelOutput, Tag

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
# MLflow allows 500 but the experiments.name column holds 256.
MAX_EXPERIMENT_NAME_LENGTH = 256
# The artifact location and run name columns are this wide.
MAX_ARTIFACT_LOCATION_LENGTH = 256
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SOURCE_TYPE_SIZE = 36
MAX_DATASET_SOURCE_SIZE = 65535
MAX_DATASET_SCHEMA_SIZE = 1048575
MAX_DATASET_PROFILE_SIZE = 16777215
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500

_PLAIN_TYPES = {float, int}
_INT_TYPE = {int}
_STR_TYPE = {str}
_LONG_LIMIT = 2**63
_NAME = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
TRUNCATE_VARIABLE = "MLFLOW_TRUNCATE_LONG_VALUES"


def check_name(name: str | None, path: str = "key") -> str:
    """A metric, param or tag name, the field at `path`: present, of allowed characters, and a
    clean relative path."""
    if name is None or not isinstance(name, str):
        raise missing_value(path)
    if not _allowed_characters(name):
        raise bad_name_characters(path, name)
    if not is_clean_path(name):
        raise name_resolves_elsewhere(path, name)
    return name


@functools.lru_cache(maxsize=4096)
def _allowed_characters(name: str) -> bool:
    """Cached, as a batch repeats its keys."""
    return _NAME.match(name) is not None


@functools.lru_cache(maxsize=4096)
def is_clean_path(name: str) -> bool:
    """True unless `name`, read as a relative file path, would name another (`a//b`, `../a`)."""
    normal = posixpath.normpath(name)
    return not (normal != name or normal == "." or normal.startswith(("..", "/")))


def check_length(value: str | None, limit: int, what: str) -> None:
    if value is not None and len(value) > limit:
        raise too_long(what, limit)


def fitted(value: str | None, limit: int, what: str) -> str | None:
    """`value`, cut to `limit` when truncation is on, else refused when longer."""
    if value is None or len(value) <= limit:
        return value
    if os.environ.get(TRUNCATE_VARIABLE, "true").strip().lower() in ("true", "1"):
        return value[:limit]
    raise too_long(what, limit)


def checked_metrics(metrics: Sequence[Metric]) -> Sequence[Metric]:
    """`metrics` when all are valid; else the first invalid one is refused with its index."""
    if _plainly_valid(metrics):
        return metrics
    return [checked_metric(m, i) for i, m in enumerate(metrics)]


def _plainly_valid(metrics: Sequence[Metric]) -> bool:
    """True when every value is a plain int or float, every timestamp and step a plain int in
    range, and every name good; checked a field at a time over the whole batch, which costs a
    third of checking a thousand metrics one by one."""
    if not metrics:
        return True
    timestamps = [m.timestamp for m in metrics]
    steps = [m.step for m in metrics]
    return (
        {type(m.value) for m in metrics} <= _PLAIN_TYPES
        and {type(t) for t in timestamps} == _INT_TYPE
        and min(timestamps) >= 0
        and max(timestamps) < _LONG_LIMIT
        and {type(s) for s in steps} == _INT_TYPE
        and min(steps) >= -_LONG_LIMIT
        and max(steps) < _LONG_LIMIT
        and {type(m.key) for m in metrics} == _STR_TYPE
        and all(
            len(key) <= MAX_ENTITY_KEY_LENGTH and _allowed_characters(key) and is_clean_path(key)
            for key in {m.key for m in metrics}
        )
    )


def checked_metric(metric: Metric, index: int | None = None) -> Metric:
    """`metric` when it is valid; `index` is its place in a batch, for the message."""
    where = "" if index is None else f"metrics[{index}]."
    if metric.key is None:
        raise invalid_value(
            f"{where}name", None, "Metric name cannot be None. A key name must be provided."
        )
    check_name(metric.key, f"{where}name")
    if not _is_number(metric.value):
        raise invalid_value(
            f"{where}value",
            metric.value,
            f"(timestamp={metric.timestamp}). Please specify value as a valid double (64-bit "
            "floating point)",
        )
    if not _is_number(metric.timestamp) or not 0 <= metric.timestamp < _LONG_LIMIT:
        raise invalid_value(
            f"{where}timestamp",
            metric.timestamp,
            f"metric '{metric.key}' (value={metric.value}). Timestamp must be a nonnegative long "
            "(64-bit integer) ",
        )
    if not _is_number(metric.step) or not -_LONG_LIMIT <= metric.step < _LONG_LIMIT:
        raise invalid_value(
            f"{where}step",
            metric.step,
            f"metric '{metric.key}' (value={metric.value}). Step must be a valid long (64-bit "
            "integer).",
        )
    check_length(metric.key, MAX_ENTITY_KEY_LENGTH, "Metric name")
    return metric


def check_model_output(model: ModelOutput) -> None:
    """A run output names a logged model by id, at a 64-bit step."""
    if not isinstance(model.model_id, str) or not 0 < len(model.model_id) <= UUID_LENGTH:
        raise StoreError(
            f"Invalid model id {model.model_id!r:.100} of a run output: give the id of a logged "
            f"model (at most {UUID_LENGTH} characters)."
        )
    step = model.step
    if type(step) is not int or not -_LONG_LIMIT <= step < _LONG_LIMIT:
        raise StoreError(
            f"Invalid step {step!r} of output model {model.model_id}: give a 64-bit integer."
        )


def checked_param(param: Tag, path: str = "") -> Tag:
    where = f"{path}." if path else ""
    if param.key is None:
        raise invalid_value(f"{where}key", "", "A key name must be provided.")
    check_name(param.key, f"{where}key")
    check_length(param.key, MAX_ENTITY_KEY_LENGTH, "Param key")
    if param.value is None:
        raise StoreError(f"Missing {where}value of param {param.key!r}.")
    return Tag(param.key, fitted(str(param.value), MAX_PARAM_VAL_LENGTH, "Param value"))


def checked_tag(tag: Tag, path: str = "") -> Tag:
    where = f"{path}." if path else ""
    check_name(tag.key, f"{where}key")
    check_length(tag.key, MAX_ENTITY_KEY_LENGTH, f"{where}key")
    return Tag(tag.key, fitted(tag.value, MAX_TAG_VAL_LENGTH, f"{where}value"))


def checked_experiment_tag(tag: Tag) -> Tag:
    check_name(tag.key)
    check_length(tag.key, MAX_EXPERIMENT_TAG_KEY_LENGTH, "key")
    check_length(tag.value, MAX_EXPERIMENT_TAG_VAL_LENGTH, "value")
    return tag


def check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise invalid_value("run_id", run_id)


def check_experiment_name(name: str | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"Invalid experiment name: '{name}'. Give a name that is not empty.")
    check_length(name, MAX_EXPERIMENT_NAME_LENGTH, "name")
    return name


def check_run_name(name: str | None) -> None:
    check_length(name, MAX_RUN_NAME_LENGTH, "run_name")


def check_artifact_location(location: str | None) -> None:
    if location is None:
        return
    if location.startswith("runs:"):
        raise StoreError(f"Artifact location cannot be a runs:/ URI. Given: {location!r}.")
    check_length(location, MAX_ARTIFACT_LOCATION_LENGTH, "artifact_location")


def check_batch(metrics: Sequence[Metric], params: Sequence[Tag], tags: Sequence[Tag]) -> None:
    """The batch limits, and no param key twice."""
    for what, limit, count in (
        ("metrics", MAX_METRICS_PER_BATCH, len(metrics)),
        ("params", MAX_PARAMS_TAGS_PER_BATCH, len(params)),
        ("tags", MAX_PARAMS_TAGS_PER_BATCH, len(tags)),
        (
            "metrics, params, and tags",
            MAX_ENTITIES_PER_BATCH,
            len(metrics) + len(params) + len(tags),
        ),
    ):
        if count > limit:
            raise StoreError(
                f"A batch logging request can contain at most {limit} {what}. Got {count} "
                f"{what}. Please split up {what} across multiple requests and try again."
            )
    keys = [param.key for param in params]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise StoreError(
            f"Duplicate parameter keys have been submitted: {duplicates}. Please ensure the "
            "request contains only one param value per param key."
        )


def check_dataset_inputs(dataset_inputs: Sequence[DatasetInput]) -> None:
    for dataset_input in dataset_inputs:
        _check_dataset(dataset_input.dataset)
        for tag in dataset_input.tags:
            if tag is None or tag.key is None or tag.value is None:
                raise StoreError("An input tag needs both a key and a value.")
            check_length(tag.key, MAX_INPUT_TAG_KEY_SIZE, "key")
            check_length(tag.value, MAX_INPUT_TAG_VALUE_SIZE, "value")


def _check_dataset(dataset: Dataset | None) -> None:
    if dataset is None:
        raise StoreError("Dataset cannot be None.")
    for what in ("name", "digest", "source_type", "source"):
        if getattr(dataset, what) is None:
            raise StoreError(f"Dataset {what} cannot be None.")
    check_length(dataset.name, MAX_DATASET_NAME_SIZE, "name")
    check_length(dataset.digest, MAX_DATASET_DIGEST_SIZE, "digest")
    check_length(dataset.source_type, MAX_DATASET_SOURCE_TYPE_SIZE, "source_type")
    check_length(dataset.source, MAX_DATASET_SOURCE_SIZE, "source")
    check_length(dataset.schema, MAX_DATASET_SCHEMA_SIZE, "schema")
    check_length(dataset.profile, MAX_DATASET_PROFILE_SIZE, "profile")


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
