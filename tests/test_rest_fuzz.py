"""A REST fuzz of trackstore's server on every backend: no request may be answered with 5xx
(issue 16).

Hypothesis draws requests from `tests.rest_fuzz` (hostile values in MLflow's field names, raw
bodies that are not JSON objects) and sends each to the application in this process, over one
database seeded with an experiment, a run, a registered model and version, a logged model and
a trace. TRACKSTORE_FUZZ_EXAMPLES sets how many requests per backend (1,500 by default); the
draw is the same on every run unless TRACKSTORE_FUZZ_RANDOM is set, which explores afresh.
A failure shows the shortest request that still gets a 5xx.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from starlette.testclient import TestClient

from store.server.app import Settings
from tests.app_client import app_client
from tests.rest_fuzz import MAX_URL_LENGTH, FuzzRequest, render, requests, seed

EXAMPLES = int(os.environ.get("TRACKSTORE_FUZZ_EXAMPLES", "1500"))


@pytest.fixture(scope="module")
def client(backend: str) -> Iterator[TestClient]:
    with app_client(Settings(backend), raise_server_exceptions=False) as test_client:
        yield test_client


def sender(client: TestClient) -> Any:
    def call(method: str, url: str, body: bytes | None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        answer = client.request(method, url, content=body, headers=headers)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text

    return call


def test_no_request_gets_a_server_error(client: TestClient) -> None:
    call = sender(client)
    ids = seed(call, "plain")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("TRACKSTORE_FUZZ_RANDOM"),
        suppress_health_check=list(HealthCheck),
    )
    @given(requests())
    def no_server_error(request: FuzzRequest) -> None:
        url, body = render(request, ids)
        assume(len(url) <= MAX_URL_LENGTH)
        status, answer = call(request.method, url, body)
        assert status < 500, f"{request.describe()} -> {status} {answer!r:.300}"

    no_server_error()
