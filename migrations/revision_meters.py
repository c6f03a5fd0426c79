"""Progress while a revision runs, for revisions that take minutes on a big database.

Alembic reports a revision only once it has ended (`on_version_apply`). `RevisionMeters` knows
which revision runs in the meantime (the chain is linear: the one after the current revision
going up, the current one going down), and describes it periodically through
`compat.progress.ticking`: how long it has run and, for a revision that rewrites tables
(`plan.REWRITES`), their rows and how far it should be at the rate measured for this kind of
database, with the time left. One statement rewriting a table does not say how far it is, so
the rows done are an estimate and marked with `~`.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy.engine import Connection

from compat import dialect_for
from compat.progress import duration, ticking
from migrations import plan, runner
from migrations.progress import Progress

Report = Callable[..., None]


class RevisionMeters:
    """The revision running now on `connection`, described on request."""

    def __init__(self, connection: Connection, destination: object) -> None:
        history = runner.history()
        self.chain = [script.revision for script in history]
        self.positions = {revision: index for index, revision in enumerate(self.chain)}
        self.docs = {script.revision: script.doc for script in history}
        self.dialect = dialect_for(connection.dialect.name)
        self.current = runner.current_revision(connection)
        target = _target(destination, self.chain)
        self.upgrading = self._position(target) > self._position(self.current)
        self.rows = self._row_counts(connection, target)

    def _position(self, revision: str | None) -> int:
        return self.positions.get(revision, -1) if revision is not None else -1

    def running(self) -> str | None:
        if not self.upgrading:
            return self.current
        following = self._position(self.current) + 1
        return self.chain[following] if following < len(self.chain) else None

    def _row_counts(self, connection: Connection, target: str | None) -> dict[str, int]:
        low, high = sorted((self._position(self.current), self._position(target)))
        tables = {
            name
            for revision in self.chain[low + 1 : high + 1]
            for name in plan.rewrite_on(self.dialect, revision).tables
        }
        return plan.row_counts(connection, tables)

    def ended(self, step: Any) -> None:
        """Alembic finished `step`: the next revision runs from the one it left."""
        self.current = step.up_revision_id if step.is_upgrade else _first(step.down_revision_ids)

    def describe(self, elapsed: float) -> str:
        revision = self.running()
        if revision is None:
            return f"migrating: {duration(elapsed)}"
        line = f"{revision} ({self.docs[revision]}): running for {duration(elapsed)}"
        rewrite = plan.rewrite_on(self.dialect, revision)
        rows = {name: self.rows.get(name, 0) for name in rewrite.tables}
        total = sum(rows.values())
        if not total:
            return line
        tables = ", ".join(f"{name} {count:,} rows" for name, count in rows.items())
        expected = (
            plan.SECONDS_PER_REVISION + total * rewrite.passes * self.dialect.copy_seconds_per_row
        )
        if elapsed >= expected:
            return f"{line}; rewriting {tables}, longer than the {duration(expected)} estimated"
        done = int(total * elapsed / expected)
        return (
            f"{line}; rewriting {tables}: ~{done:,} of {total:,} rows by the usual rate, "
            f"~{duration(expected - elapsed)} left"
        )


def _target(argument: object, chain: list[str]) -> str | None:
    revision = argument[0] if isinstance(argument, tuple | list) and argument else argument
    if revision == "head":
        return chain[-1]
    if revision in (None, "base", ()):
        return None
    return str(revision)


def _first(revisions: object) -> str | None:
    if isinstance(revisions, tuple | list):
        return str(revisions[0]) if revisions else None
    return None if revisions is None else str(revisions)


@contextmanager
def metered(
    progress: Progress | None, connection: Connection, destination: object, report: Report
) -> Iterator[Report]:
    """Run the migrations to `destination` (Alembic's revision argument) inside: yields the
    `on_version_apply` callback to configure. Each revision gets its own meter, ended (its live
    line cleared) before `report` prints the revision's own line."""
    if progress is None:
        yield report
        return
    meters = RevisionMeters(connection, destination)
    with ExitStack() as meter:

        def after_step(**details: Any) -> None:
            meter.close()
            meters.ended(details["step"])
            report(**details)
            meter.enter_context(ticking(progress, meters.describe))

        meter.enter_context(ticking(progress, meters.describe))
        yield after_step
