"""ci/test.sh ends with a summary per tox environment: passed, failed, skipped with reasons.

Each tox environment's pytest writes a JUnit report into .test-reports/ (ignored by git);
ci/summary.py reads them and tox's result file. Here a real pytest run writes the report, and
ci/test.sh runs in a copy of the repository's layout with a stand-in tox that fails.
"""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.test_docker_lint import tool

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "ci" / "summary.py"
REASON = "SQL Server: no Docker engine answers and TRACKSTORE_TEST_MSSQL_URL is not set"

SAMPLE_TESTS = f"""
import pytest

def test_passes():
    pass

def test_passes_too():
    pass

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="{REASON}")
def test_on_sql_server():
    pass

@pytest.mark.skip(reason="{REASON}")
def test_on_sql_server_again():
    pass
"""


def junit_report(folder: Path, environment: str) -> Path:
    """Run a small real test file through pytest, its JUnit report named after `environment`."""
    sample = folder / "sample" / "test_sample.py"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(SAMPLE_TESTS)
    report = folder / "reports" / f"{environment}.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(sample),
            f"--junitxml={report}",
            "--rootdir",
            str(sample.parent),
        ],
        cwd=sample.parent,
        capture_output=True,
        check=False,
    )
    assert report.is_file()
    return report


def run_summary(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SUMMARY), str(folder)], capture_output=True, text=True, check=False
    )


def row(output: str, environment: str) -> list[str]:
    lines = [line.split() for line in output.splitlines() if line.startswith(environment + " ")]
    assert len(lines) == 1, output
    return lines[0]


def test_summary_counts_each_outcome_and_groups_skip_reasons(tmp_path: Path) -> None:
    report = junit_report(tmp_path, "py")
    result = run_summary(report.parent)
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "py")[:5] == ["py", "FAILED", "2", "1", "2"]
    assert f"    2  {REASON}" in result.stdout
    assert "test_sample::test_fails" in result.stdout


def test_summary_shows_environments_without_pytest_from_tox_results(tmp_path: Path) -> None:
    report = junit_report(tmp_path, "py")
    (report.parent / "tox.json").write_text(
        '{"testenvs": {".pkg": {}, "lint": {"result": {"exit_code": 0, "duration": 3.2}},'
        ' "py": {"result": {"exit_code": 1, "duration": 61.0}}}}'
    )
    output = run_summary(report.parent).stdout
    assert row(output, "lint") == ["lint", "ok", "-", "-", "-", "3", "s"]
    assert row(output, "py") == ["py", "FAILED", "(1)", "2", "1", "2", "61", "s"]
    assert ".pkg" not in output


def test_summary_says_when_there_is_nothing_to_read(tmp_path: Path) -> None:
    result = run_summary(tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(f"No test reports in {tmp_path}")


def test_every_pytest_environment_writes_a_junit_report_git_ignores() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    junit = tox["testenv"]["junit"]
    assert junit == "--junitxml={tox_root}{/}.test-reports{/}{env_name}.xml"
    running_pytest = [
        section for section in tox.sections() if "pytest" in tox[section].get("commands", "")
    ]
    assert {"testenv", "testenv:mlflow-compat", "testenv:mlflow-314", "testenv:sqlite"} <= set(
        running_pytest
    )
    for section in running_pytest:
        assert "{[testenv]junit}" in tox[section]["commands"], section
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".test-reports/py.xml"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


FAKE_TOX = """\
#!/usr/bin/env bash
# Stands in for tox: records its arguments, writes py's report, fails like a failed run.
echo "$@" > tox-arguments
cp "$SAMPLE_REPORT" .test-reports/py.xml
echo '{"testenvs": {"py": {"result": {"exit_code": 1, "duration": 5}}}}' > .test-reports/tox.json
exit 3
"""


def test_test_script_prints_the_summary_and_keeps_tox_status(tmp_path: Path) -> None:
    report = junit_report(tmp_path / "work", "py")
    checkout = tmp_path / "checkout"
    (checkout / "ci").mkdir(parents=True)
    for name in ("test.sh", "summary.py"):
        shutil.copy(ROOT / "ci" / name, checkout / "ci" / name)
    (checkout / "ci" / "local-databases.sh").write_text("echo 'export TRACKSTORE_X=1'\n")
    stale = checkout / ".test-reports" / "old-env.xml"
    stale.parent.mkdir()
    shutil.copy(report, stale)
    fake = checkout / ".tox-runner" / "bin" / "tox"
    fake.parent.mkdir(parents=True)
    fake.write_text(FAKE_TOX)
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(checkout / "ci" / "test.sh")],
        env={**os.environ, "SAMPLE_REPORT": str(report)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert (checkout / "tox-arguments").read_text().split() == [
        "--result-json",
        ".test-reports/tox.json",
        "-p",
    ]
    assert "Test summary per tox environment" in result.stdout
    assert row(result.stdout, "py")[:6] == ["py", "FAILED", "(1)", "2", "1", "2"]
    assert "old-env" not in result.stdout


def test_test_script_passes_shellcheck() -> None:
    result = subprocess.run(
        [tool("shellcheck"), str(ROOT / "ci" / "test.sh")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_summary_module_is_standard_library_only() -> None:
    source = SUMMARY.read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= set(sys.stdlib_module_names), imports
