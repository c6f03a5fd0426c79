"""Downgrades that would lose data: done only when nothing is lost, otherwise refused whole.

A revision whose upgrade widened or relaxed a column declares, at module level,

    LOSSY_COLUMNS = (lossy.Shrink("params", "value", length=250, wider=500, nullable=False),)

and its downgrade() calls `shrink(LOSSY_COLUMNS)` (or `check(LOSSY_COLUMNS)` before undoing a
relaxation itself). A revision that cannot be undone at all declares NOT_DOWNGRADABLE, a reason,
and its downgrade() calls `refuse(revision, NOT_DOWNGRADABLE)`.

Each revision commits on its own, so a refusal at the k-th step of a downgrade would leave the
first k-1 done. `preflight` therefore reads these declarations for every step of a downgrade
and checks the stored values before the first step runs: a refused downgrade changes nothing.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from alembic import op
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import Connection

from compat import TrackstoreError
from compat import migration as step

WAY_BACK = "nothing was changed; to go back, restore the backup taken before the upgrade"


class LossyColumn(Protocol):
    """A column whose stored values might not fit the schema a downgrade returns to."""

    @property
    def table(self) -> str: ...

    @property
    def column(self) -> str: ...

    @property
    def unfit_values(self) -> str:
        """What the values that would not fit are, after "are" ("longer than 250 characters")."""
        ...

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]: ...


@dataclass(frozen=True)
class Shrink:
    """Going down narrows a string column from `wider` (None: unbounded TEXT) back to `length`
    characters."""

    table: str
    column: str
    length: int
    wider: int | None
    nullable: bool

    @property
    def unfit_values(self) -> str:
        return f"longer than {self.length} characters"

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        return sa.func.char_length(column) > self.length

    def apply(self) -> None:
        step.change_column_type(
            self.table,
            self.column,
            sa.String(self.wider) if self.wider is not None else sa.Text(),
            sa.String(self.length),
            nullable=self.nullable,
        )


@dataclass(frozen=True)
class Required:
    """Going down makes a nullable column NOT NULL again."""

    table: str
    column: str

    @property
    def unfit_values(self) -> str:
        return "empty (NULL)"

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        return column.is_(None)


@dataclass(frozen=True)
class Disallowed:
    """Going down brings back a CHECK that forbids `values` in a column."""

    table: str
    column: str
    values: tuple[str, ...]

    @property
    def unfit_values(self) -> str:
        return " or ".join(self.values)

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        return column.in_(self.values)


@dataclass(frozen=True)
class Unique:
    """Going down brings back a unique key on `columns`, which rows told apart by `identity`
    (a key the upgrade added, such as the workspace) may share by then.

    The rows counted are those whose `columns` another row holds too; NULLs share nothing.
    """

    table: str
    columns: tuple[str, ...]
    identity: tuple[str, ...]
    unfit_values: str

    @property
    def column(self) -> str:
        return self.columns[0]

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        """Another row, read through a subquery whose columns are renamed, so that the plain
        names in its condition can only mean the counted row's columns."""
        named = (*self.columns, *self.identity)
        rows = sa.table(self.table, *(sa.column(name) for name in named))
        other = sa.select(*(rows.c[name].label(f"other_{name}") for name in named)).subquery(
            "other"
        )
        same = [other.c[f"other_{name}"] == sa.column(name) for name in self.columns]
        different = [other.c[f"other_{name}"] != sa.column(name) for name in self.identity]
        return sa.exists().where(*same, sa.or_(*different))


@dataclass(frozen=True)
class CaseVariants:
    """Going down makes a case-sensitive key column case-insensitive again (where equality is
    not case-sensitive by itself): values that differ only by case, within the rows sharing
    the `within` columns, would then be one key."""

    table: str
    column: str
    within: tuple[str, ...]

    @property
    def unfit_values(self) -> str:
        return f"the same as another's but for case (for one {', '.join(self.within)})"

    def unfit(self, column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
        other = sa.table(self.table, sa.column(self.column), *map(sa.column, self.within)).alias(
            "case_variant"
        )
        same_group = [
            other.c[name] == sa.literal_column(f"{self.table}.{name}") for name in self.within
        ]
        return step.WhereCaseInsensitive(
            sa.exists().where(
                *same_group,
                sa.func.lower(other.c[self.column]) == sa.func.lower(column),
                other.c[self.column] != column,
            )
        )


def shrink(columns: Iterable[Shrink]) -> None:
    """Narrow every column back, from inside a downgrade(), once all their values fit."""
    columns = tuple(columns)
    check(columns)
    for column in columns:
        column.apply()


def check(columns: Iterable[LossyColumn]) -> None:
    """Raise, from inside a downgrade(), when a value of `columns` would not fit.

    Offline (--sql) there are no values to look at, so nothing is checked.
    """
    if not step.offline():
        _raise_first(refusals(op.get_bind(), columns))


def refuse(revision: str, reason: str) -> None:
    """Raise the refusal for a revision that cannot be downgraded at all."""
    raise TrackstoreError(not_downgradable(revision, reason))


def not_downgradable(revision: str, reason: str) -> str:
    return f"Revision {revision} cannot be downgraded ({reason}), so {WAY_BACK}."


def refusals(connection: Connection, columns: Iterable[LossyColumn]) -> Iterator[str]:
    """One sentence per column that holds values the downgraded schema could not store."""
    for lossy in columns:
        column: sa.ColumnClause[str] = sa.column(lossy.column)
        count = connection.execute(
            sa.select(sa.func.count())
            .select_from(sa.table(lossy.table, column))
            .where(lossy.unfit(column))
        ).scalar_one()
        if count:
            values, verb = ("value", "is") if count == 1 else ("values", "are")
            yield (
                f"{count} {values} in {lossy.table}.{lossy.column} {verb} {lossy.unfit_values}, "
                f"so the downgrade was refused and {WAY_BACK}."
            )


def preflight(connection: Connection, scripts: ScriptDirectory, target: str) -> None:
    """Refuse, before anything changes, a downgrade to `target` that a step would refuse."""
    try:
        current = MigrationContext.configure(connection).get_current_revision()
        for script in steps_down(scripts, current, target):
            reason = getattr(script.module, "NOT_DOWNGRADABLE", None)
            if reason:
                refuse(script.revision, reason)
            _raise_first(refusals(connection, getattr(script.module, "LOSSY_COLUMNS", ())))
    finally:
        connection.rollback()


def steps_down(scripts: ScriptDirectory, current: str | None, target: str) -> Sequence[Script]:
    """The revisions whose downgrade() runs from `current` down to `target` ("base" or any
    name Alembic resolves), newest first; empty when `target` is not below `current`."""
    stop = None if target == "base" else _script(scripts, target).revision
    steps = []
    revision = current
    while revision is not None and revision != stop:
        script = _script(scripts, revision)
        steps.append(script)
        revision = script.down_revision if isinstance(script.down_revision, str) else None
    return steps if revision == stop else []


def _script(scripts: ScriptDirectory, revision: str) -> Script:
    script = scripts.get_revision(revision)
    assert script is not None, f"{revision} is not in the revision chain"
    return script


def _raise_first(sentences: Iterator[str]) -> None:
    first = next(sentences, None)
    if first is not None:
        raise TrackstoreError(first)
