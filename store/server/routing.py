"""MLflow's REST paths bound to handlers: each handler takes the stores and a Message."""

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from store.common.errors import StoreError
from store.server.messages import Message
from store.server.responses import failure_response, json_response
from store.server.stores import Stores

Result = Mapping[str, Any] | None
Handler = Callable[[Stores, Message], Result]
AJAX_PREFIX = "/ajax-api/2.0/mlflow"
PREFIXES = ("/api/2.0/mlflow", AJAX_PREFIX)


@dataclass(frozen=True)
class Endpoint:
    """One REST method: `path` is relative to a prefix and may hold `{name}` parameters."""

    method: str
    path: str
    handler: Handler
    # A POST that only reads, such as a search (GETs only read; see `Stores.reads_on_loop`).
    reads_only: bool = False
    # MLflow refuses a body not labelled JSON on this route (see check_json_content_type).
    json_only: bool = False


def routes(endpoints: Iterable[Endpoint], prefixes: Iterable[str] = PREFIXES) -> list[BaseRoute]:
    """A Starlette route for every endpoint under every prefix."""
    endpoints = list(endpoints)
    return [
        Route(
            prefix + endpoint.path,
            _asgi(
                endpoint.handler,
                only_reads=endpoint.reads_only or endpoint.method == "GET",
                json_only=endpoint.json_only,
            ),
            methods=[endpoint.method],
        )
        for prefix in prefixes
        for endpoint in endpoints
    ]


def _asgi(handler: Handler, *, only_reads: bool, json_only: bool) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            if json_only:
                check_json_content_type(request)
            stores: Stores = request.app.state.stores
            message = await read_message(request, stores.tracking.dialect.text_holds_nul)
            if only_reads and stores.reads_on_loop:
                result = handler(stores, message)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(stores.executor, handler, stores, message)
        except Exception as exc:
            return failure_response(exc)
        return json_response(result)

    endpoint.__name__ = handler.__name__
    return endpoint


def check_json_content_type(request: Request) -> None:
    """MLflow's refusal of a POST or PUT whose Content-Type is missing or not JSON."""
    if request.method not in ("POST", "PUT"):
        return
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise StoreError("Bad Request. Content-Type header is missing.")
    if content_type.split(";")[0].strip() != "application/json":
        raise StoreError("Bad Request. Content-Type must be one of ['application/json'].")


async def read_message(request: Request, nul_allowed: bool = True) -> Message:
    """The request's fields: the query string of a GET, the JSON body otherwise."""
    if request.method == "GET":
        query = request.query_params
        fields: dict[str, Any] = {key: query.getlist(key) for key in query}
        fields.update(request.path_params)
        return Message(fields, from_query=True, nul_allowed=nul_allowed)
    body = await request.body()
    payload = _decode(body) if body.strip() else {}
    return Message({**payload, **request.path_params}, nul_allowed=nul_allowed)


def _decode(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`; older clients send it encoded twice, as a JSON string."""
    try:
        payload = _loads(body)
        if isinstance(payload, str):
            payload = _loads(payload)
    except (ValueError, TypeError, RecursionError):
        raise StoreError(
            "The request body is not valid JSON; send a JSON object with the request's fields."
        ) from None
    if not isinstance(payload, dict):
        raise StoreError("The request body must be a JSON object holding the request's fields.")
    return payload


def _loads(data: bytes | str) -> Any:
    """JSON as MLflow's server reads it, which includes the bare NaN, Infinity and -Infinity
    that Python's json.dumps (and so requests' `json=`) writes for floats that are not finite.

    orjson refuses those, so only such bodies take the standard library's slower road; what it
    reads must still be text orjson can write (no lone surrogates), as the database must store it.
    Raises ValueError (orjson's TypeError, or RecursionError when nested past the standard
    library's depth) for anything else.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        payload = json.loads(data)
        orjson.dumps(payload)
        return payload
