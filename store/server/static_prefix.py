"""`--static-prefix`, as `mlflow server` applies it: the routes its web UI calls (`/ajax-api/...`,
`/get-artifact`, `/graphql`) move under the prefix, while the REST API the clients call
(`/api/2.0/...`), `/health` and `/version` stay where they are."""

import os

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from store.server.app import app_from_environment as unprefixed_app
from store.server.responses import ENDPOINT_NOT_FOUND, error_response

PREFIX_VARIABLE = "TRACKSTORE_SERVER_STATIC_PREFIX"
# The paths mlflow server serves under --static-prefix (MLflow's _add_static_prefix).
PREFIXED_PATHS = ("/ajax-api/", "/get-artifact", "/model-versions/get-artifact", "/graphql")


class StaticPrefix:
    """Serves `app`'s UI paths only under `prefix`; the same paths without it are not found."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            inner = path[len(self.prefix) :] if path.startswith(self.prefix + "/") else None
            if inner is not None and _moves(inner):
                scope = {**scope, "path": inner, "raw_path": inner.encode()}
            elif _moves(path):
                message = f"No endpoint at {path}; with --static-prefix it is under {self.prefix}."
                await error_response(ENDPOINT_NOT_FOUND, message, 404)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _moves(path: str) -> bool:
    return path.startswith(PREFIXED_PATHS)


def app_from_environment() -> Starlette | StaticPrefix:
    """The uvicorn factory: the application, under the prefix the server command left."""
    app = unprefixed_app()
    prefix = os.environ.get(PREFIX_VARIABLE, "")
    return StaticPrefix(app, prefix) if prefix else app
