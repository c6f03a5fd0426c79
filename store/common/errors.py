"""Errors a client of the store sees, with MLflow's error codes and HTTP statuses, and the one
place their common sentences are worded.

A message starts with MLflow's own wording for the same refusal, so that clients and scripts
matching on MLflow's text match ours; where trackstore says more (what to do), it follows.
"""

import json
import posixpath
from typing import Any

from compat import TrackstoreError

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_ERROR = "INTERNAL_ERROR"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"

HTTP_STATUS = {
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    BAD_REQUEST: 400,
    INVALID_STATE: 500,
    RESOURCE_DOES_NOT_EXIST: 404,
    INTERNAL_ERROR: 500,
    TEMPORARILY_UNAVAILABLE: 503,
    NOT_IMPLEMENTED: 501,
}


class StoreError(TrackstoreError):
    """A refused store operation, carrying the MLflow error code a REST client expects."""

    def __init__(self, message: str, error_code: str = INVALID_PARAMETER_VALUE) -> None:
        super().__init__(message)
        self.error_code = error_code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.error_code, 500)

    def to_json(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": str(self)}


def not_found(message: str) -> StoreError:
    return StoreError(message, RESOURCE_DOES_NOT_EXIST)


def already_exists(message: str) -> StoreError:
    return StoreError(message, RESOURCE_ALREADY_EXISTS)


API_DOCS = " See the API docs for more information about request parameters."
# A refused value is shown whole up to this many characters.
SHOWN_VALUE_LENGTH = 250


def shown(value: Any) -> str:
    """A value as MLflow's messages show it: compact JSON with sorted keys."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > SHOWN_VALUE_LENGTH:
        return text[: SHOWN_VALUE_LENGTH - 3] + "..."
    return text


def missing_value(path: str) -> StoreError:
    """A required field left out or empty; `path` names it as MLflow does (`metrics[0].key`)."""
    return StoreError(f"Missing value for required parameter '{path}'.{API_DOCS}")


def refused(path: str, value: Any, expected: str) -> StoreError:
    """A field of the wrong JSON type, or out of the bounds MLflow's server sets before its
    store sees the request (MLflow names the type either way); `expected` ends the sentence
    ("a whole number")."""
    return StoreError(
        f"Invalid value {shown(value)} for parameter '{path}' supplied:  Hint: Value was of type "
        f"'{type(value).__name__}'.{API_DOCS} It must be {expected}."
    )


def invalid_value(path: str, value: Any, reason: str = "") -> StoreError:
    """A field whose value is refused; `reason` says why and what to give instead."""
    if not reason:
        return StoreError(f"Invalid value {shown(value)} for parameter '{path}' supplied.")
    return StoreError(f"Invalid value {shown(value)} for parameter '{path}' supplied: {reason}")


def bad_name_characters(path: str, name: str) -> StoreError:
    return invalid_value(
        path,
        name,
        "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
        "spaces ( ), colon(:) and slashes (/).",
    )


def name_resolves_elsewhere(path: str, name: str) -> StoreError:
    """A name that, read as a file path, would name another: `a//b`, `../a`, `/a`."""
    return invalid_value(
        path,
        name,
        "Names may be treated as files in certain cases, and must not resolve to other names "
        f"when treated as such. This name would resolve to {posixpath.normpath(name)!r}. Use a "
        "name without '.' or '..' parts and without leading, doubled or trailing slashes.",
    )


def too_long(what: str, limit: int) -> StoreError:
    return StoreError(f"'{what}' exceeds the maximum length of {limit} characters.")
