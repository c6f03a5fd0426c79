"""The CI definitions in ci/: the GitHub workflow passes actionlint (with shellcheck on its
scripts), and the script it calls runs the same way locally."""

import os
import re
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
