"""Killing `trackstore db upgrade` with SIGKILL at a chosen point, for the kill tests.

Run as `python -m tests.kill_point START REVISION NUMBER DELAY -- ARGS...`: it runs `trackstore
ARGS...` (an upgrade of a database recorded at START) in this process and SIGKILLs itself at
the NUMBER-th work statement of REVISION — before the statement reaches the database when DELAY
is 0, else DELAY seconds after it was sent, whatever runs by then. No product code knows of it:
the point is found by watching every statement SQLAlchemy sends, and the revision by counting
the writes to alembic_version (one per revision, at its end).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from migrations import runner

WORK = re.compile(r"^\s*(CREATE|ALTER|DROP|RENAME|INSERT|UPDATE|DELETE|EXEC)\b", re.IGNORECASE)
VERSION_TABLE = "alembic_version"
# What the killed process prints, as the test waits for it to die.
KILLING = "kill_point: killing at "
# `-m tests.kill_point` needs the checkout on the path: the suite runs in a temporary folder.
CHECKOUT = str(Path(__file__).resolve().parent.parent)
# The kill tests cover every revision, beyond the one the store serves too.
WHOLE_CHAIN = ("--revision", "head")


@dataclass(frozen=True)
class KillPoint:
    """The `number`-th work statement of `revision`; `delay` > 0 kills that long after it."""

    revision: str
    number: int
    delay: float = 0.0

    def __str__(self) -> str:
        after = f"+{self.delay:g}s" if self.delay else ""
        return f"{self.revision}#{self.number}{after}"


def is_work(statement: str) -> bool:
    """A statement that changes schema or rows, the revision's record excepted."""
    return bool(WORK.match(statement)) and VERSION_TABLE not in statement


def is_record(statement: str) -> bool:
    """Alembic writing the revision just finished into alembic_version."""
    return bool(re.match(r"^\s*(UPDATE|INSERT)\b", statement, re.IGNORECASE)) and (
        VERSION_TABLE in statement
    )


def chain_after(start: str) -> list[str]:
    """The revisions an upgrade from `start` to head runs, in order."""
    revisions = [script.revision for script in runner.history()]
    return revisions[revisions.index(start) + 1 :]


@contextmanager
def counting(engine: Engine, start: str) -> Iterator[dict[str, int]]:
    """How many work statements each revision runs while the body upgrades `engine`."""
    counts: dict[str, int] = {}
    tracker = Tracker(chain_after(start), lambda revision, number, _: None)

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen = tracker.see(statement)
        if seen is not None:
            counts[seen[0]] = seen[1]

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", before)


class Tracker:
    """Which revision a statement belongs to, and its number among that revision's work."""

    def __init__(self, chain: list[str], on_work: Callable[[str, int, str], None]) -> None:
        self.chain, self.on_work = chain, on_work
        self.position, self.number = 0, 0

    def see(self, statement: str) -> tuple[str, int] | None:
        if self.position >= len(self.chain):
            return None
        if is_record(statement):
            self.position, self.number = self.position + 1, 0
            return None
        if not is_work(statement):
            return None
        self.number += 1
        revision = self.chain[self.position]
        self.on_work(revision, self.number, statement)
        return revision, self.number


def arm(start: str, point: KillPoint) -> None:
    """Make this process SIGKILL itself at `point` of an upgrade from `start`."""

    def on_work(revision: str, number: int, statement: str) -> None:
        if (revision, number) != (point.revision, point.number):
            return
        print(f"{KILLING}{point}: {statement.split(chr(10))[0][:80]}", flush=True)
        if point.delay:
            threading.Timer(point.delay, _die).start()
        else:
            _die()

    tracker = Tracker(chain_after(start), on_work)

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        tracker.see(statement)

    event.listen(Engine, "before_cursor_execute", before)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def upgrade_killed_at(
    uri: str, start: str, point: KillPoint, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `trackstore db upgrade URI --revision head` from `start`, killed at `point`; its
    finished process."""
    command = [sys.executable, "-m", "tests.kill_point", start, point.revision]
    command += [str(point.number), str(point.delay), "--", "db", "upgrade", uri, *WHOLE_CHAIN]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([CHECKOUT, os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def start_upgrade(uri: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """`trackstore db upgrade URI --revision head` started in the background, its output piped
    line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "store.cli", "db", "upgrade", uri, *WHOLE_CHAIN],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for_session_running(
    connection: Connection, statement_start: str, timeout: float = 60
) -> int:
    """The MySQL session id that runs a statement beginning with `statement_start`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = connection.execute(
            text(
                "SELECT ID FROM information_schema.PROCESSLIST "
                "WHERE DB = DATABASE() AND INFO LIKE :start"
            ),
            {"start": f"{statement_start}%"},
        ).scalar()
        connection.commit()
        if found is not None:
            return int(found)
        time.sleep(0.05)
    raise AssertionError(f"no session ran {statement_start!r} within {timeout:g} s")


def main(argv: list[str]) -> None:
    start, revision, number, delay, separator, *args = argv
    assert separator == "--", "usage: START REVISION NUMBER DELAY -- ARGS..."
    arm(start, KillPoint(revision, int(number), float(delay)))
    from store.cli import main as trackstore

    trackstore(args)


if __name__ == "__main__":
    main(sys.argv[1:])
