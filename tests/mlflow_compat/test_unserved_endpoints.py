"""What MLflow 3.18.0 serves and trackstore does not answers as a route MLflow lacks.

The AI gateway, secrets, budgets, guardrails, scorers, jobs, evaluation datasets, webhooks,
review queues, label schemas, issues, the MCP and skill registries and workspace management:
their tables are in the schema, but `trackstore server` has no endpoint for them, so each of
MLflow 3.18.0's routes for them gets 404 ENDPOINT_NOT_FOUND. The routes are read from MLflow
3.18.0's own server, so a route it adds later is checked too.
"""

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from compat import make_engine
from store import models
from store.server.app import Settings, create_app

pytestmark = pytest.mark.mlflow_compat
pytest.importorskip("mlflow", minversion="3.18")

UNSERVED = re.compile(
    r"/(gateway|secrets|budgets|guardrails|scorers|scorer|jobs|datasets|webhooks|"
    r"review-queues|label-schemas|issues|mcp-servers|skills|workspaces|"
    r"prompt-optimization)(/|$)|^/gateway/"
)
PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\{\w+(?::\w+)?\}")


def mlflow_routes() -> Iterator[tuple[str, str]]:
    """(method, path) of every route of MLflow 3.18.0's server: its Flask handlers, and the
    routers its ASGI application adds (the MCP and skill registries, jobs, the gateway)."""
    from mlflow.server import fastapi_app
    from mlflow.server.handlers import get_endpoints

    for path, _handler, methods in get_endpoints():
        yield from ((method, path) for method in methods)
    routers = (
        (fastapi_app.mcp_server_router, fastapi_app.get_mcp_server_api_route_prefixes()),
        (fastapi_app.skill_registry_router, fastapi_app.get_skill_registry_api_route_prefixes()),
        (fastapi_app.job_api_router, [""]),
        (fastapi_app.gateway_router, [""]),
    )
    for router, prefixes in routers:
        for prefix in prefixes:
            for route in router.routes:
                yield from ((method, prefix + route.path) for method in route.methods)


def unserved_routes() -> list[tuple[str, str]]:
    """MLflow's REST routes for the features trackstore leaves out, path parameters filled."""
    return sorted(
        {
            (method, PARAMETER.sub("x", path))
            for method, path in mlflow_routes()
            if path.startswith(("/api/", "/gateway/")) and UNSERVED.search(path)
        }
    )


@pytest.fixture(scope="module")
def client(backend: str) -> Iterator[TestClient]:
    """The application over the head tables (routing needs no revision stamp)."""
    engine = make_engine(backend)
    try:
        with engine.begin() as connection:
            models.create_all(connection)
    finally:
        engine.dispose()
    with TestClient(create_app(Settings(backend))) as test_client:
        yield test_client


@pytest.mark.backends("sqlite")
def test_mlflow_routes_for_unserved_features_are_many() -> None:
    """The list below is MLflow's, not empty by a filter gone wrong."""
    paths = {path for _method, path in unserved_routes()}
    features = ("gateway/secrets", "webhooks", "jobs", "datasets", "workspaces", "skills", "mcp-")
    for feature in features:
        assert any(feature in path for path in paths), feature


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("method", "path"), unserved_routes())
def test_unserved_route_is_endpoint_not_found(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, json={})
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"
