"""Running the real `trackstore` command as a user would, in a subprocess."""

import os
import subprocess
import sys
from collections.abc import Mapping


def run_trackstore(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `trackstore ARGS...` with `env` added to the environment; capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "store.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
