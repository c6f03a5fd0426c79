"""The `backend` fixture: a fresh, empty database per test module on each available backend."""

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from compat import make_engine
from compat.databases import create_database, drop_database
from tests.backends import BACKENDS, server_for


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each backend test on every backend chosen with --backend (default: all).

    `@pytest.mark.backends("mysql", ...)` narrows a test to the backends a behaviour belongs to.
    """
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--backend") or list(BACKENDS)
        marker = metafunc.definition.get_closest_marker("backends")
        if marker is not None:
            chosen = [name for name in chosen if name in marker.args]
        metafunc.parametrize("backend", chosen, indirect=True, scope="module")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="Run backend tests only on this backend (repeatable).",
    )


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URI of a new, empty database for this module; dropped afterwards."""
    name: str = request.param
    if name == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'store.db'}"
        return
    server = server_for(name)
    if server.url is None:
        pytest.skip(server.skip_reason)
    database = database_name(request.module.__name__)
    url = create_database(server.url, database)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(server.url, database)


def database_name(module: str) -> str:
    """A short unique database name for a test module, valid on every server."""
    stem = re.sub(r"[^a-z0-9]", "_", module.rsplit(".", 1)[-1].lower())[:30]
    return f"ts_{stem}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def fresh_backend(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database for one test, on the same server as `backend`."""
    with new_database(backend, tmp_path, request.node.name) as uri:
        yield uri


@pytest.fixture(scope="module")
def second_backend(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """Another new, empty database for this module, on the same server as `backend`: for a
    second server compared side by side with the first."""
    with new_database(backend, tmp_path_factory.mktemp("second"), request.module.__name__) as uri:
        yield uri


@contextlib.contextmanager
def new_database(backend: str, folder: Path, label: str) -> Iterator[str]:
    """The URI of a new, empty database on `backend`'s server (a SQLite file in `folder`),
    named after `label`; dropped afterwards."""
    if backend.startswith("sqlite"):
        yield f"sqlite:///{folder / 'fresh.db'}"
        return
    from sqlalchemy.engine import make_url

    server_url = make_url(backend)
    database = database_name(label)
    url = create_database(server_url, database)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(server_url, database)


@pytest.fixture
def fresh_engine(fresh_backend: str) -> Iterator[Engine]:
    """An Engine (from `compat.make_engine`) on `fresh_backend`, disposed afterwards."""
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def work_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run every test, and the servers and clients it starts, in a temporary working folder:
    what they write beside themselves (`mlruns/`, `mlartifacts/`, `mlruns.db`) never lands in
    the checkout."""
    checkout = Path.cwd()
    root = str(Path(__file__).resolve().parents[1])
    with pytest.MonkeyPatch.context() as patch:
        # `python -m tests.x` in a subprocess still finds the checkout's modules.
        patch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        )
        os.chdir(tmp_path_factory.mktemp("cwd"))
        try:
            yield
        finally:
            os.chdir(checkout)
