"""The checks MLflow's registry makes on names, versions, aliases, tags and stages.

Each raises StoreError (INVALID_PARAMETER_VALUE), in MLflow's words, before anything is read or
written.
"""

import re

from store.common.errors import StoreError, missing_value, name_resolves_elsewhere
from store.registry.entities import ALL_STAGES
from store.tracking.validation import check_length, check_name, is_clean_path

MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
_ALIAS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def check_page_size(max_results: int, limit: int) -> None:
    if not isinstance(max_results, int) or not 1 <= max_results <= limit:
        raise StoreError(
            f"Invalid value for request parameter max_results. It must be between 1 and {limit}, "
            f"but got value {max_results}."
        )


def check_model_name(name: str | None, parameter: str = "name") -> str:
    """A registered model's name: not blank, without '/' or ':', and a clean relative path (a
    name becomes part of `models:/` URIs)."""
    if not name or not name.strip():
        raise missing_value(parameter)
    if "/" in name or ":" in name:
        raise StoreError(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    if not is_clean_path(name):
        raise name_resolves_elsewhere("name", name)
    return name


def checked_version(version: int | str) -> int:
    """A model version number given as an int or a decimal string."""
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = None
    if number is None or not -(2**63) <= number < 2**63:
        raise StoreError(f"Parameter 'version' must be an integer, got '{version}'.")
    return number


def check_alias(alias: str | None) -> str:
    if not alias:
        raise StoreError("Registered model alias name cannot be empty.")
    if not _ALIAS.match(alias):
        raise StoreError(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, "
            "underscores (_), and dashes (-)."
        )
    check_length(alias, MAX_ALIAS_LENGTH, "Registered model alias name")
    if alias.lower() == "latest":
        raise StoreError("'latest' alias name (case insensitive) is reserved. Choose another.")
    if _VERSION_ALIAS.match(alias):
        raise StoreError(f"Version alias name '{alias}' is reserved. Choose another.")
    return alias


def check_tag_key(key: str) -> None:
    check_name(key)


def check_registered_model_tag(key: str, value: str | None) -> None:
    check_tag_key(key)
    check_length(key, MAX_TAG_KEY_LENGTH, "key")
    check_length(value, MAX_TAG_VALUE_LENGTH, "value")


def check_model_version_tag(key: str, value: str | None) -> None:
    if value is None:
        raise StoreError(f"Tag value cannot be None; give a value for tag {key!r}.")
    check_registered_model_tag(key, value)


def canonical_stage(stage: str) -> str:
    """The stage as MLflow spells it ("staging" -> "Staging"); unknown stages are refused."""
    for known in ALL_STAGES:
        if stage.lower() == known.lower():
            return known
    raise StoreError(
        f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(ALL_STAGES)}."
    )
