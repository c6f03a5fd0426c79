"""The ASGI application: MLflow's REST API, /health, /version and the page at /.

Each worker process calls `app_from_environment`, which reads the settings the `trackstore server`
command left in the environment, so that every worker opens one Engine of its own.
"""

import importlib.metadata
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from store.artifact_destinations import open_destination
from store.server import (
    artifacts,
    datasets,
    experiments,
    graphql_api,
    landing,
    logged_models,
    metric_intervals,
    promptlab,
    registry,
    runs,
    traces,
    traces_v3,
    ui_artifacts,
)
from store.server.artifact_flags import ArtifactServing
from store.server.responses import ENDPOINT_NOT_FOUND, error_response
from store.server.routing import AJAX_PREFIX, Endpoint, routes
from store.server.stores import open_stores

URI_VARIABLE = "TRACKSTORE_SERVER_BACKEND_STORE_URI"
ARTIFACT_ROOT_VARIABLE = "TRACKSTORE_SERVER_ARTIFACT_ROOT"
DEFAULT_ARTIFACT_ROOT = "mlflow-artifacts:/"
# /version answers the MLflow release whose REST API is served: MLflow's client reads it to
# decide whether the server takes spans over OTLP (3.4 and later).
MLFLOW_API_VERSION = "3.18.0"


@dataclass(frozen=True)
class Settings:
    backend_store_uri: str
    artifact_root: str = DEFAULT_ARTIFACT_ROOT
    artifacts: ArtifactServing = field(default_factory=ArtifactServing)

    @property
    def artifacts_destination(self) -> str | None:
        """Where the proxy keeps artifacts; None when the server serves none."""
        return self.artifacts.destination if self.artifacts.serve else None

    def to_environment(self) -> dict[str, str]:
        return {
            URI_VARIABLE: self.backend_store_uri,
            ARTIFACT_ROOT_VARIABLE: self.artifact_root,
            **self.artifacts.to_environment(),
        }


def all_endpoints() -> list[Endpoint]:
    """Every REST endpoint trackstore serves, from each endpoint group."""
    groups = (experiments, runs, metric_intervals, registry, logged_models, traces)
    return [endpoint for group in groups for endpoint in group.ENDPOINTS]


def ajax_endpoints() -> list[Endpoint]:
    """The endpoints MLflow serves to its UI under /ajax-api only."""
    return [*runs.AJAX_ENDPOINTS, *datasets.AJAX_ENDPOINTS]


def create_app(settings: Settings, endpoints: Iterable[Endpoint] | None = None) -> Starlette:
    """The application serving `settings.backend_store_uri`; its Engine opens at startup."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.serving = settings.artifacts
        if settings.artifacts.serve:
            app.state.destination = open_destination(settings.artifacts.destination)
        if settings.artifacts.only:
            yield
            return
        app.state.stores = open_stores(settings.backend_store_uri, settings.artifact_root)
        try:
            yield
        finally:
            app.state.stores.close()

    chosen = all_endpoints() if endpoints is None else endpoints
    if settings.artifacts.only:
        chosen = []
    return Starlette(
        routes=[
            *_service_routes(settings),
            *routes(chosen),
            *routes(ajax_endpoints() if chosen else [], prefixes=[AJAX_PREFIX]),
            *(traces_v3.all_routes() if chosen else []),
            *(ui_artifacts.routes() if chosen else []),
            *(graphql_api.routes() if chosen else []),
            *(promptlab.routes() if chosen else []),
            *artifacts.routes(settings.artifacts),
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
            artifacts=ArtifactServing.from_environment(),
        )
    )


def _service_routes(settings: Settings) -> list[BaseRoute]:
    version = importlib.metadata.version("trackstore")

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    async def version_text(request: Request) -> Response:
        return PlainTextResponse(MLFLOW_API_VERSION)

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
