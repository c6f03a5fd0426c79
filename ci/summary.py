"""Print what each tox environment tested: passed, failed and skipped counts, the skip reasons
and the failed tests, read from the JUnit XML each environment's pytest wrote and from tox's
own result file (for environments that run no pytest, such as lint and type).

`tox -p` only says `py: OK`; the skips (SQL Server without a server) and the counts would
otherwise stay in the logs under .tox/. Standard library only: it runs with the system Python
after tox, whatever tox did.

    python3 ci/summary.py [REPORTS_FOLDER]   (default: .test-reports)
"""

import json
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FOLDER = Path(".test-reports")
TOX_RESULT = "tox.json"


@dataclass
class Environment:
    name: str
    exit_code: int | None = None
    seconds: float | None = None
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    has_report: bool = False

    @property
    def result(self) -> str:
        if self.exit_code is None:
            return "FAILED" if self.failed else "?"
        return "ok" if self.exit_code == 0 else f"FAILED ({self.exit_code})"


def read_junit(path: Path, environment: Environment) -> None:
    """Add the outcome of every test case in the JUnit XML at `path` to `environment`."""
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    environment.has_report = True
    if environment.seconds is None:
        environment.seconds = sum(float(suite.get("time", 0)) for suite in suites)
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            environment.failed.append(name)
        elif skipped is not None:
            environment.skipped[_reason(skipped)] += 1
        else:
            environment.passed += 1


def _reason(skipped: ElementTree.Element) -> str:
    return (skipped.get("message") or skipped.text or "no reason given").strip()


def read_tox_result(path: Path, environments: dict[str, Environment]) -> None:
    """Exit codes and durations from tox's --result-json file (packaging envs left out)."""
    for name, journal in json.loads(path.read_text()).get("testenvs", {}).items():
        result = journal.get("result")
        if name.startswith(".") or not result:
            continue
        environment = environments.setdefault(name, Environment(name))
        environment.exit_code = int(result.get("exit_code", 1))
        environment.seconds = float(result.get("duration", 0))


def collect(folder: Path) -> list[Environment]:
    environments: dict[str, Environment] = {}
    if (folder / TOX_RESULT).is_file():
        read_tox_result(folder / TOX_RESULT, environments)
    for report in sorted(folder.glob("*.xml")):
        environment = environments.setdefault(report.stem, Environment(report.stem))
        read_junit(report, environment)
    return sorted(environments.values(), key=lambda environment: environment.name)


def table(environments: list[Environment]) -> list[str]:
    width = max([len("environment"), *(len(environment.name) for environment in environments)])
    lines = [
        f"{'environment':<{width}}  {'result':<11} {'passed':>7} {'failed':>7} "
        f"{'skipped':>8} {'time':>8}"
    ]
    for environment in environments:
        counts = (
            (environment.passed, len(environment.failed), sum(environment.skipped.values()))
            if environment.has_report
            else ("-", "-", "-")
        )
        seconds = "" if environment.seconds is None else f"{environment.seconds:.0f} s"
        lines.append(
            f"{environment.name:<{width}}  {environment.result:<11} {counts[0]:>7} "
            f"{counts[1]:>7} {counts[2]:>8} {seconds:>8}"
        )
    return lines


def details(environments: list[Environment]) -> list[str]:
    lines: list[str] = []
    for environment in environments:
        if environment.skipped:
            lines.append(f"skipped in {environment.name}, by reason:")
            lines += [
                f"  {count:>5}  {reason}" for reason, count in environment.skipped.most_common()
            ]
        if environment.failed:
            lines.append(f"failed in {environment.name}:")
            lines += [f"  {name}" for name in environment.failed]
    return lines


def summary(folder: Path) -> str:
    environments = collect(folder)
    if not environments:
        return f"No test reports in {folder}: tox did not get as far as running an environment."
    header = "Test summary per tox environment (- : runs no pytest; see its result)"
    return "\n".join([header, *table(environments), *details(environments)])


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_FOLDER
    print(summary(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
