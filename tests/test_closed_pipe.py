"""`trackstore db upgrade URI | head -3`: the reader going away does not stop the upgrade."""

import subprocess
import sys
from pathlib import Path

from tests.live_server import recorded_revision

TARGET = "f5a4f2784254"


def test_upgrade_finishes_when_its_reader_goes_away(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "store.cli", "db", "upgrade", uri, "--revision", TARGET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0, stderr
    assert stderr == ""
    assert all(line.startswith("upgraded to ") for line in first)
    assert recorded_revision(uri) == TARGET
