"""Eight `trackstore db upgrade` processes on one empty database at once: one creates the
schema, the others wait for the migration lock, find the database at head and do nothing."""

import subprocess
import sys

from compat import make_engine
from store import models
from tests.cli import run_trackstore
from tests.schema import Snapshot, snapshot

PROCESSES = 8


def test_eight_upgraders_leave_the_schema_a_single_upgrader_makes(
    backend: str, fresh_backend: str
) -> None:
    upgraders = [
        subprocess.Popen(
            [sys.executable, "-m", "store.cli", "db", "upgrade", backend],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outcomes = []
    for process in upgraders:
        out, err = process.communicate(timeout=600)
        outcomes.append((process.returncode, out, err))
    assert [code for code, _, _ in outcomes] == [0] * PROCESSES, [err for *_, err in outcomes]
    outputs = [out for _, out, _ in outcomes]
    served = models.REVISION
    assert sum(f"created the schema at {served}" in out for out in outputs) == 1
    assert sum(f"already at {served}; nothing to do" in out for out in outputs) == PROCESSES - 1
    assert run_trackstore("db", "upgrade", fresh_backend).returncode == 0
    assert _snapshot(backend) == _snapshot(fresh_backend)


def _snapshot(uri: str) -> Snapshot:
    engine = make_engine(uri)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()
