"""Reporting each applied revision with how long it took.

Imported by commands that never run a revision (through the lock's `Progress`), so Alembic is
imported only where a revision script reports.
"""

import time
from collections.abc import Callable
from typing import Any

Progress = Callable[[str], None]


def one_line(doc: str) -> str:
    """A revision's description on one line, as every listing prints it."""
    return " ".join(doc.split())


def on_version_apply(progress: Progress | None) -> Callable[..., None]:
    """An Alembic `on_version_apply` callback printing `<rev> <message> <seconds>` per step."""
    started = [time.perf_counter()]

    def report(*, step: Any, **_: Any) -> None:
        now = time.perf_counter()
        if progress is not None:
            seconds = f"in {now - started[0]:.2f} s"
            if step.is_upgrade:
                doc = one_line(step.up_revision.doc)
                progress(f"upgraded to {step.up_revision_id} ({doc}) {seconds}")
            else:
                below = _one(step.down_revision_ids)
                doc = one_line(step.up_revision.doc)
                progress(f"undid {step.up_revision_id} ({doc}), now at {below} {seconds}")
        started[0] = now

    return report


def _one(revision: Any) -> str:
    if isinstance(revision, tuple | list):
        return ", ".join(revision) or "base"
    return str(revision)


def report(message: str) -> None:
    """Hand `message` to the running migration's progress callback, if the runner set one.

    For revision scripts whose single step can take minutes on a large database.
    """
    from alembic import op

    config = op.get_context().config
    callback = config.attributes.get("progress") if config is not None else None
    if callback is not None:
        callback(message)
