"""Progress during long work: plain periodic lines when not on a terminal, a live line on one.

The real-database tests force the plain mode with a short interval and check that lines arrive
while a revision rewrites a table and while a backup is written, before the step's own end line.
"""

import io
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from compat import make_engine
from compat.progress import duration, size, ticking
from migrations import runner
from migrations.backups import take_backup

BEFORE = "90e64c465722"
REWRITING = "181f10493468"
METRICS = 60_000


class Lines:
    """A progress callback that keeps each line with the time it arrived."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []

    def __call__(self, line: str) -> None:
        self.lines.append((time.monotonic(), line))

    def text(self) -> list[str]:
        return [line for _, line in self.lines]


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKSTORE_PROGRESS", "plain")
    monkeypatch.setenv("TRACKSTORE_PROGRESS_SECONDS", "0.05")


def test_plain_lines_come_periodically_while_the_work_runs(plain: None) -> None:
    lines = Lines()
    with ticking(lines, lambda elapsed: f"busy {elapsed:.2f}"):
        time.sleep(0.4)
    ended = time.monotonic()
    time.sleep(0.15)
    assert len(lines.lines) >= 4, lines.text()
    assert all(line.startswith("busy ") for line in lines.text())
    assert all(at <= ended for at, _ in lines.lines)
    seconds = [float(line.split()[1]) for line in lines.text()]
    assert seconds == sorted(seconds)


def test_short_work_says_nothing(plain: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKSTORE_PROGRESS_SECONDS", "1")
    lines = Lines()
    with ticking(lines, lambda elapsed: "busy"):
        time.sleep(0.1)
    assert lines.lines == []


def test_progress_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKSTORE_PROGRESS", "off")
    monkeypatch.setenv("TRACKSTORE_PROGRESS_SECONDS", "0.05")
    lines = Lines()
    with ticking(lines, lambda elapsed: "busy"):
        time.sleep(0.2)
    assert lines.lines == []


def test_a_terminal_gets_one_live_line_cleared_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKSTORE_PROGRESS", "terminal")
    monkeypatch.setattr("compat.progress.TERMINAL_DELAY", 0.05)
    monkeypatch.setattr("compat.progress.TERMINAL_SECONDS", 0.05)
    terminal = io.StringIO()
    lines = Lines()
    with ticking(lines, lambda elapsed: "copying", stream=terminal):
        time.sleep(0.3)
    written = terminal.getvalue()
    assert lines.lines == []
    assert "\n" not in written
    assert written.count("\rcopying") >= 3
    assert written.endswith("\r" + " " * len("copying") + "\r")


def test_durations_and_sizes_read_as_people_write_them() -> None:
    assert duration(4.44) == "4.4 s"
    assert duration(42.4) == "42 s"
    assert duration(185) == "3 min 05 s"
    assert size(512) == "512 B"
    assert size(3.5 * 1024 * 1024) == "3.5 MiB"


def _metrics_at_old_revision(uri: str) -> None:
    engine = make_engine(uri)
    try:
        runner.upgrade(engine, BEFORE)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO runs (run_uuid, name, source_type, source_name, "
                    "entry_point_name, status) VALUES ('r', 'r', 'LOCAL', 's', 'main', 'FINISHED')"
                )
            )
            metrics = sa.table(
                "metrics",
                *(sa.column(c) for c in ("key", "value", "timestamp", "step", "run_uuid")),
            )
            connection.execute(
                metrics.insert(),
                [
                    {
                        "key": f"k{n % 50}",
                        "value": n * 0.5,
                        "timestamp": n,
                        "step": n,
                        "run_uuid": "r",
                    }
                    for n in range(METRICS)
                ],
            )
    finally:
        engine.dispose()


def test_a_revision_rewriting_a_table_reports_while_it_runs(
    fresh_backend: str, plain: None
) -> None:
    _metrics_at_old_revision(fresh_backend)
    lines = Lines()
    engine = make_engine(fresh_backend)
    try:
        runner.upgrade(engine, REWRITING, progress=lines)
    finally:
        engine.dispose()
    text = lines.text()
    end = next(i for i, line in enumerate(text) if line.startswith(f"upgraded to {REWRITING}"))
    during = [line for line in text[:end] if line.startswith(f"{REWRITING} (")]
    assert during, text
    assert f"rewriting metrics {METRICS:,} rows" in during[0]
    assert "running for" in during[0]
    assert all(("rows by the usual rate" in line) or ("estimated" in line) for line in during)


@pytest.mark.backends("postgresql", "mysql")
def test_a_backup_reports_the_bytes_written_while_it_runs(
    fresh_backend: str, plain: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dump of these rows can end within a tenth of a second, hence the shorter interval."""
    monkeypatch.setenv("TRACKSTORE_PROGRESS_SECONDS", "0.01")
    _metrics_at_old_revision(fresh_backend)
    lines = Lines()
    target = tmp_path / "backup.dump"
    engine = make_engine(fresh_backend)
    try:
        take_backup(engine, target, lines)
    finally:
        engine.dispose()
    text = lines.text()
    assert text[-1].startswith("backed up "), text
    during = text[:-1]
    assert during, text
    assert all(line.startswith(f"backup to {target}: ") for line in during)
    assert all(" written in " in line for line in during)
