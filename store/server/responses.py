"""Turning handler results and errors into HTTP responses with MLflow's JSON shapes."""

import logging
import traceback
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from compat import TrackstoreError
from compat.transactions import DatabaseBusy
from compat.urls import mask_text
from store.common.errors import (
    HTTP_STATUS,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    TEMPORARILY_UNAVAILABLE,
    StoreError,
)

log = logging.getLogger("trackstore.server")

ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
JSON = "application/json"
EMPTY = b"{}"


def json_response(payload: Mapping[str, Any] | None, status: int = 200) -> Response:
    body = EMPTY if not payload else orjson.dumps(payload)
    return Response(body, status_code=status, media_type=JSON)


def error_response(error_code: str, message: str, status: int) -> Response:
    return json_response({"error_code": error_code, "message": message}, status)


def failure_response(exc: BaseException) -> Response:
    """The response for an exception a handler raised.

    A StoreError keeps its code and sentence; DatabaseBusy asks the client to try again (503,
    which MLflow's client retries); other TrackstoreErrors are the caller's fault;
    anything else is logged with its traceback (its message with passwords masked) and answered
    without detail, so that SQL text and connection strings never reach a client.
    """
    if isinstance(exc, StoreError):
        return error_response(exc.error_code, str(exc), exc.http_status)
    if isinstance(exc, DatabaseBusy):
        return error_response(
            TEMPORARILY_UNAVAILABLE, str(exc), HTTP_STATUS[TEMPORARILY_UNAVAILABLE]
        )
    if isinstance(exc, TrackstoreError):
        return error_response(INVALID_PARAMETER_VALUE, str(exc), 400)
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("Request failed: %s\n%s", mask_text(repr(exc)), frames)
    return error_response(
        INTERNAL_ERROR,
        "The server failed to handle the request; the server log has the details.",
        500,
    )
