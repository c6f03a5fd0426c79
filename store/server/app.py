"""The ASGI application: MLflow's REST API, /health, /version and the page at /.

Each worker process calls `app_from_environment`, which reads the settings the `trackstore server`
command left in the environment, so that every worker opens one Engine of its own.
"""

import importlib.metadata
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from store.server import experiments, landing, logged_models, registry, runs, traces
from store.server.responses import ENDPOINT_NOT_FOUND, error_response
from store.server.routing import AJAX_PREFIX, Endpoint, routes
from store.server.stores import open_stores

URI_VARIABLE = "TRACKSTORE_SERVER_BACKEND_STORE_URI"
ARTIFACT_ROOT_VARIABLE = "TRACKSTORE_SERVER_ARTIFACT_ROOT"
DEFAULT_ARTIFACT_ROOT = "mlflow-artifacts:/"
ARTIFACTS_DESTINATION_VARIABLE = "TRACKSTORE_SERVER_ARTIFACTS_DESTINATION"


@dataclass(frozen=True)
class Settings:
    backend_store_uri: str
    artifact_root: str = DEFAULT_ARTIFACT_ROOT
    # Where the server keeps the artifacts it serves; None when it serves none.
    artifacts_destination: str | None = None

    def to_environment(self) -> dict[str, str]:
        return {
            URI_VARIABLE: self.backend_store_uri,
            ARTIFACT_ROOT_VARIABLE: self.artifact_root,
            ARTIFACTS_DESTINATION_VARIABLE: self.artifacts_destination or "",
        }


def all_endpoints() -> list[Endpoint]:
    """Every REST endpoint trackstore serves, from each endpoint group."""
    groups = (experiments, runs, registry, logged_models, traces)
    return [endpoint for group in groups for endpoint in group.ENDPOINTS]


def create_app(settings: Settings, endpoints: Iterable[Endpoint] | None = None) -> Starlette:
    """The application serving `settings.backend_store_uri`; its Engine opens at startup."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.stores = open_stores(settings.backend_store_uri, settings.artifact_root)
        try:
            yield
        finally:
            app.state.stores.close()

    chosen = all_endpoints() if endpoints is None else endpoints
    return Starlette(
        routes=[
            *_service_routes(settings),
            *routes(chosen),
            *routes(runs.AJAX_ENDPOINTS, prefixes=[AJAX_PREFIX]),
        ],
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_found},
    )


def app_from_environment() -> Starlette:
    """The uvicorn factory each worker calls."""
    return create_app(
        Settings(
            backend_store_uri=os.environ[URI_VARIABLE],
            artifact_root=os.environ.get(ARTIFACT_ROOT_VARIABLE, DEFAULT_ARTIFACT_ROOT),
            artifacts_destination=os.environ.get(ARTIFACTS_DESTINATION_VARIABLE) or None,
        )
    )


def _service_routes(settings: Settings) -> list[BaseRoute]:
    version = importlib.metadata.version("trackstore")

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    async def version_text(request: Request) -> Response:
        return PlainTextResponse(version)

    return [
        Route("/health", health),
        Route("/version", version_text),
        landing.route(settings.backend_store_uri, settings.artifacts_destination, version),
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(
        ENDPOINT_NOT_FOUND,
        f"No {request.method} endpoint at {request.url.path}; check the path against "
        "MLflow's REST API.",
        404,
    )
