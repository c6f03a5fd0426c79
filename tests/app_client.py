"""The server's application in the test's own process, over a database brought to head."""

from collections.abc import Iterator
from contextlib import contextmanager

from starlette.testclient import TestClient

from store.server.app import Settings, create_app
from store.server.launch import prepare_database


@contextmanager
def app_client(settings: Settings, raise_server_exceptions: bool = True) -> Iterator[TestClient]:
    """Prepare the database as `trackstore server --upgrade` does, then serve it in-process;
    `raise_server_exceptions` False lets a test see a 500 answer instead of the exception."""
    prepare_database(settings, upgrade=True, progress=lambda _line: None)
    with TestClient(
        create_app(settings), raise_server_exceptions=raise_server_exceptions
    ) as client:
        yield client
