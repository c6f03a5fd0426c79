"""`db rehearse`: a production backup upgraded on a scratch database, as a CI job would test it.

The backup is restored into the scratch database (which must be empty: a rehearsal never
replaces anything), the plan is printed, every revision up to the one the store serves is
applied and timed, the result is verified against the store's models, and the downgrade back to
the backup's revision is tried under the same rules as `db downgrade` (lossy steps refused with
nothing changed). The report is JUnit XML, the format CI systems read, with one test case per
revision.
"""

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from compat import TrackstoreError, mask_url
from compat.urls import mask_text
from migrations import backups, lossy, plan, runner, verify
from migrations.progress import Progress

_APPLIED = re.compile(r"^upgraded to (\w+) \(.*\) in ([\d.]+) s$")


@dataclass
class Case:
    """One test case of the report: a revision's upgrade, or the verification or downgrade."""

    name: str
    classname: str
    seconds: float = 0.0
    failure: str | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Rehearsal:
    start: str | None
    cases: list[Case]

    @property
    def failures(self) -> int:
        return sum(case.failure is not None for case in self.cases)


def rehearse(
    backup: Path, scratch: Engine, served: runner.ServedSchema, progress: Progress
) -> Rehearsal:
    """Restore `backup` into the empty `scratch`, upgrade, verify, try the way back down."""
    with scratch.connect() as connection:
        if not runner.is_empty(connection):
            raise TrackstoreError(
                f"{mask_url(scratch.url)} is not empty; give --scratch an empty database "
                "(a rehearsal never replaces what a database holds)."
            )
    backups.restore_backup(backup, scratch, force=False, progress=progress)
    steps = plan.make_plan(scratch, served.revision)
    for line in plan.render(steps, scratch):
        progress(line)
    cases = {
        step.revision: Case(step.revision, "upgrade", notes=[step.doc]) for step in steps.steps
    }
    rehearsal = Rehearsal(steps.current, list(cases.values()))
    if not _upgrade(scratch, served.revision, cases, progress):
        return rehearsal
    rehearsal.cases.append(_verify(scratch, served, progress))
    if steps.current is not None and cases:
        _note_downgrade_rules(scratch, cases)
        rehearsal.cases.append(_downgrade(scratch, steps.current, served.revision, progress))
    return rehearsal


def _upgrade(scratch: Engine, target: str, cases: dict[str, Case], progress: Progress) -> bool:
    """Apply every pending revision, timing each; on a failure, mark it and skip the rest."""

    def timed(line: str) -> None:
        progress(line)
        applied = _APPLIED.match(line)
        if applied and applied.group(1) in cases:
            cases[applied.group(1)].seconds = float(applied.group(2))
            done.add(applied.group(1))

    done: set[str] = set()
    try:
        runner.upgrade(scratch, target, progress=timed)
    except Exception as exc:  # the report records whatever stopped the upgrade
        pending = [case for revision, case in cases.items() if revision not in done]
        if pending:
            pending[0].failure = f"the upgrade failed here: {_sentence(exc)}"
        for case in pending[1:]:
            case.skipped = "not reached: an earlier revision failed"
        progress(f"the upgrade failed: {_sentence(exc)}")
        return False
    return True


def _verify(scratch: Engine, served: runner.ServedSchema, progress: Progress) -> Case:
    case = Case("schema matches the served revision", "verify")
    started = time.perf_counter()
    try:
        verify.verify(scratch, served, progress)
    except TrackstoreError as exc:
        case.failure = str(exc)
        progress(f"verification failed: {exc}")
    case.seconds = time.perf_counter() - started
    return case


def _note_downgrade_rules(scratch: Engine, cases: dict[str, Case]) -> None:
    """Add to each revision's case what going back down over it would do with this data."""
    scripts = runner.script_directory()
    with scratch.connect() as connection:
        for revision, case in cases.items():
            script = scripts.get_revision(revision)
            assert script is not None
            reason = getattr(script.module, "NOT_DOWNGRADABLE", None)
            columns = getattr(script.module, "LOSSY_COLUMNS", ())
            refused = list(lossy.refusals(connection, columns))
            if reason:
                case.notes.append(f"downgrade: cannot be undone ({reason})")
            elif refused:
                case.notes.append("downgrade: lossy, refused: " + " ".join(refused))
            elif columns:
                case.notes.append("downgrade: lossy in general, but every stored value fits")
            else:
                case.notes.append("downgrade: can be undone")
        connection.rollback()


def _downgrade(scratch: Engine, start: str, reached: str, progress: Progress) -> Case:
    """Go back down to the backup's revision: done, or refused having changed nothing."""
    case = Case(f"downgrade to {start}", "downgrade")
    started = time.perf_counter()
    try:
        runner.downgrade(scratch, start, progress=progress)
        case.notes.append(f"went back down to {start}")
    except TrackstoreError as exc:
        with scratch.connect() as connection:
            still = runner.current_revision(connection)
        if still != reached:
            case.failure = f"refused part-way, leaving revision {still}: {exc}"
        else:
            case.notes.append(f"refused with nothing changed: {exc}")
        progress(f"downgrade to {start}: {exc}")
    case.seconds = time.perf_counter() - started
    return case


def write_junit(rehearsal: Rehearsal, path: Path, name: str) -> None:
    """The rehearsal as a JUnit XML file: one testsuite, one testcase per case."""
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(rehearsal.cases)),
        failures=str(rehearsal.failures),
        skipped=str(sum(case.skipped is not None for case in rehearsal.cases)),
        time=f"{sum(case.seconds for case in rehearsal.cases):.3f}",
    )
    for case in rehearsal.cases:
        element = ET.SubElement(
            suite, "testcase", name=case.name, classname=case.classname, time=f"{case.seconds:.3f}"
        )
        if case.failure is not None:
            ET.SubElement(element, "failure", message=case.failure.splitlines()[0])
        if case.skipped is not None:
            ET.SubElement(element, "skipped", message=case.skipped)
        if case.notes:
            ET.SubElement(element, "system-out").text = "\n".join(case.notes)
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _sentence(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return mask_text(text.splitlines()[0]) if text else type(exc).__name__
