"""Where each test backend comes from: a temp file, a testcontainer, a URL, or a skip reason."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from sqlalchemy.engine import URL, make_url

SERVER_BACKENDS = {
    "postgresql": (
        "TRACKSTORE_TEST_POSTGRESQL_URL",
        "testcontainers.postgres",
        "PostgresContainer",
        "postgres:15",
    ),
    "mysql": ("TRACKSTORE_TEST_MYSQL_URL", "testcontainers.mysql", "MySqlContainer", "mysql:8.0"),
    "mssql": (
        "TRACKSTORE_TEST_MSSQL_URL",
        "testcontainers.mssql",
        "SqlServerContainer",
        "mcr.microsoft.com/mssql/server:2022-latest",
    ),
}
BACKENDS = ("sqlite", *SERVER_BACKENDS)


@dataclass(frozen=True)
class Server:
    """A database server to create test databases on, or why there is none."""

    url: URL | None
    skip_reason: str = ""


@cache
def docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    result = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    return result.returncode == 0


@cache
def server_for(name: str) -> Server:
    """The server for backend `name`: from a testcontainer, the environment, or none."""
    variable, module, cls, image = SERVER_BACKENDS[name]
    if docker_answers():
        return Server(_start_container(module, cls, image))
    if os.environ.get(variable):
        return Server(make_url(os.environ[variable]))
    return Server(None, f"{name}: no Docker engine answered and {variable} is not set")


def _start_container(module: str, cls: str, image: str) -> URL:
    import atexit
    import importlib

    container = getattr(importlib.import_module(module), cls)(image)
    container.start()
    atexit.register(container.stop)
    url = make_url(container.get_connection_url())
    return url.set(
        drivername={
            "postgresql": "postgresql+psycopg2",
            "mysql": "mysql+pymysql",
            "mssql": "mssql+pyodbc",
        }[url.get_backend_name()]
    )
