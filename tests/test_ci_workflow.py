"""The CI definitions in ci/: the GitHub workflow passes actionlint (with shellcheck on its
scripts), and the script it calls runs the same way locally."""

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.test_docker_lint import tool

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "ci" / "github" / "migrations.yml"
MATRIX_SCRIPT = ROOT / "ci" / "migration-matrix.sh"
BACKENDS = ("sqlite", "postgresql", "mysql", "mssql")


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), f"-shellcheck={tool('shellcheck')}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_workflow_passes_actionlint() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace('matrix.backend }}"', 'matrix.engine }}"'))
    result = actionlint(broken)
    assert result.returncode == 1
    assert "engine" in result.stdout


def test_workflow_runs_the_matrix_script_for_each_backend_with_its_service() -> None:
    text = WORKFLOW.read_text()
    assert re.findall(r"- backend: (\w+)", text) == list(BACKENDS)
    for image in ("postgres:15", "mysql:8.0", "mcr.microsoft.com/mssql/server:2022-latest"):
        assert f"image: {image}" in text
    assert 'run: bash ci/migration-matrix.sh "${{ matrix.backend }}"' in text


def test_matrix_script_passes_shellcheck() -> None:
    result = subprocess.run(
        [tool("shellcheck"), str(MATRIX_SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_matrix_script_refuses_an_unknown_backend() -> None:
    result = _matrix("oracle")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: bash ci/migration-matrix.sh sqlite|")


def test_matrix_script_refuses_sql_server_without_a_server() -> None:
    result = _matrix("mssql", TRACKSTORE_TEST_MSSQL_URL="")
    assert result.returncode == 2
    assert "set TRACKSTORE_TEST_MSSQL_URL" in result.stderr


def _matrix(backend: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(MATRIX_SCRIPT), backend],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


FAKE_TOX = """\
#!/usr/bin/env bash
# Stands in for tox: records each call's arguments, one line per call.
printf '%s\n' "$*" >> tox-calls
"""


def test_matrix_script_runs_the_backend_and_both_mlflow_suites(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "ci").mkdir(parents=True)
    shutil.copy(MATRIX_SCRIPT, checkout / "ci" / MATRIX_SCRIPT.name)
    fake = checkout / ".tox-runner" / "bin" / "tox"
    fake.parent.mkdir(parents=True)
    fake.write_text(FAKE_TOX)
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(checkout / "ci" / MATRIX_SCRIPT.name), "sqlite"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (checkout / "tox-calls").read_text().splitlines() == [
        "-e sqlite",
        "-e mlflow-compat -- --backend sqlite",
        "-e mlflow-314 -- --backend sqlite",
    ]


def test_every_test_folder_runs_in_one_environment_of_the_default_list() -> None:
    """`tox -p` (ci/test.sh) runs env_list: the py environment takes every folder but those it
    leaves to an MLflow environment, and each of those runs in exactly one listed environment."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    listed = [name.strip() for name in tox["tox"]["env_list"].split(",")]
    left_out = re.findall(r"--ignore=(\S+)", tox["testenv"]["mlflow_suites"])
    runners = {
        folder: [
            name
            for name in listed
            if re.search(rf"pytest {folder}\b", tox.get(f"testenv:{name}", "commands", fallback=""))
        ]
        for folder in left_out
    }
    assert runners == {"tests/mlflow_compat": ["mlflow-compat"], "tests/mlflow_314": ["mlflow-314"]}
    folders = {path.parent.relative_to(ROOT).as_posix() for path in ROOT.glob("tests/*/test_*.py")}
    assert {folder for folder in folders if "mlflow" in folder} == set(left_out)
    assert "pip install --no-deps mlflow==3.18.0" in tox["testenv:mlflow-compat"]["commands_pre"]
