"""A second database beside the `backend` one: for MLflow to do what trackstore does, or for
two schemas to be compared."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from compat.databases import create_database, drop_database
from tests.conftest import database_name


@contextmanager
def twin_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of a new, empty database on the same server as `backend`; dropped afterwards."""
    if backend.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('twin') / 'mlflow.db'}"
        return
    server = make_url(backend)
    name = database_name("mlflow_twin")
    url = create_database(server, name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(server, name)
