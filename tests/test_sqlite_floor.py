"""bench sqlite_floor runs without MLflow and reports its rate."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_floor_prints_rows_per_second() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "sqlite_floor", "--calls", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rate = re.search(
        r"SQLite alone: insert [\d.]+ ms and commit [\d.]+ ms .*, ([\d,]+) rows/s", done.stdout
    )
    assert rate is not None, done.stdout + done.stderr
    assert int(rate[1].replace(",", "")) > 0
