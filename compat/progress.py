"""Progress of long work while it runs: a live line on a terminal, plain lines in logs.

A revision that rewrites a big table or a backup of a big database runs one statement or one
tool for minutes; without this, the only sign of life is the line printed when it ends. A
`ticking` block starts a thread that, once the work has run for a couple of seconds, describes
it periodically: rewritten in place on a terminal (stderr), as a new line every interval
otherwise (a container's log, a pipe), through the same callback as the other lines there.

TRACKSTORE_PROGRESS chooses the mode (`terminal`, `plain`, `off`; default: `terminal` when
stderr is one), TRACKSTORE_PROGRESS_SECONDS the interval between plain lines (default 10),
which is also how long work runs before its first line.
"""

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

Say = Callable[[str], None]
Describe = Callable[[float], str]

MODE_VARIABLE = "TRACKSTORE_PROGRESS"
SECONDS_VARIABLE = "TRACKSTORE_PROGRESS_SECONDS"
PLAIN_SECONDS = 10.0
TERMINAL_SECONDS = 0.5
# Work shorter than this gets no live line on a terminal: it would only flicker.
TERMINAL_DELAY = 2.0


@dataclass(frozen=True)
class Mode:
    live: bool
    delay: float
    interval: float


def mode(stream: TextIO = sys.stderr) -> Mode | None:
    """How progress is shown here; None when it is switched off."""
    chosen = os.environ.get(MODE_VARIABLE, "").strip().lower()
    if chosen == "off":
        return None
    live = chosen == "terminal" or (chosen != "plain" and stream.isatty())
    if live:
        return Mode(True, TERMINAL_DELAY, TERMINAL_SECONDS)
    seconds = float(os.environ.get(SECONDS_VARIABLE) or PLAIN_SECONDS)
    return Mode(False, seconds, seconds)


class Meter:
    """Shows the latest description of one piece of work, at most once per interval."""

    def __init__(self, say: Say, shown: Mode, stream: TextIO = sys.stderr) -> None:
        self.say = say
        self.mode = shown
        self.stream = stream
        self.width = 0

    def show(self, line: str) -> None:
        if not self.mode.live:
            self.say(line)
            return
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        """Remove the live line, so the next ordinary line starts on a clean one."""
        if self.mode.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


@contextmanager
def ticking(say: Say | None, describe: Describe, stream: TextIO = sys.stderr) -> Iterator[None]:
    """While the block runs, show `describe(elapsed seconds)` periodically (see module doc)."""
    shown = mode(stream) if say is not None else None
    if say is None or shown is None:
        yield
        return
    meter = Meter(say, shown, stream)
    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        if done.wait(shown.delay):
            return
        while True:
            meter.show(describe(time.monotonic() - started))
            if done.wait(shown.interval):
                return

    thread = threading.Thread(target=tick, name="trackstore-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        meter.clear()


def duration(seconds: float) -> str:
    """`seconds` as a person reads it in a progress line: 4.2 s, 42 s, 3 min 05 s."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def size(count: float) -> str:
    """A byte count in binary units: 512 B, 3.4 MiB."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    index = 0
    while count >= 1024 and index < len(units) - 1:
        count /= 1024
        index += 1
    return f"{count:.0f} B" if index == 0 else f"{count:.1f} {units[index]}"
