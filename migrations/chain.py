"""The revision chain and a database's recorded revision, without Alembic.

Commands that only read (`db current`, `db history`, the server's guard) need the order of the
revisions and the one a database records, not the machinery that runs them: importing Alembic
and loading every revision script took most of their start-up. The chain is read from the
scripts' text (every script states `revision`, `down_revision` and a docstring in the same
plain form, which a test holds against what Alembic reads); the recorded revision is one
SELECT on the table Alembic keeps it in.
"""

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from compat import TrackstoreError, mask_url

VERSIONS = Path(__file__).resolve().parent / "versions"
VERSION_TABLE = "alembic_version"
_FIELD = re.compile(r'^(revision|down_revision) = (?:"(\w+)"|None)$', re.MULTILINE)
_DOCSTRING = re.compile(r'\A"""(.*?)"""', re.DOTALL)


# What a store's models give: their tables, and what creates them on an empty database.
Models = tuple[MetaData, Callable[[Connection], None]]


@dataclass(frozen=True)
class ServedSchema:
    """The schema a store serves, handed to migrations by the store (which they never import).

    `revision` is the one its models describe, where the chain may go further. `load` imports
    the models only when they are needed, which an upgrade to another revision never is: they
    are a noticeable part of a short upgrade's start-up. `create` makes them on an empty
    database in the caller's transaction (the fresh road), and `metadata` is what an upgrade
    is verified against.
    """

    revision: str
    load: Callable[[], Models]

    @property
    def metadata(self) -> MetaData:
        return self.load()[0]

    def create(self, connection: Connection) -> None:
        self.load()[1](connection)


@dataclass(frozen=True)
class Revision:
    """One revision as its script states it; `doc` is its docstring's first paragraph, as
    Alembic's `Script.doc`."""

    revision: str
    down_revision: str | None
    doc: str


def read_script(path: Path) -> Revision:
    source = path.read_text(encoding="utf-8")
    fields = {name: value or None for name, value in _FIELD.findall(source)}
    docstring = _DOCSTRING.match(source)
    if "revision" not in fields or "down_revision" not in fields or docstring is None:
        raise ValueError(f"{path} does not state its revision, down_revision and docstring")
    doc = docstring.group(1).strip().split("\n\n")[0]
    return Revision(str(fields["revision"]), fields["down_revision"], doc)


@functools.cache
def history() -> tuple[Revision, ...]:
    """Every revision, oldest first."""
    following = {script.down_revision: script for script in map(read_script, VERSIONS.glob("*.py"))}
    ordered: list[Revision] = []
    while (step := following.get(ordered[-1].revision if ordered else None)) is not None:
        ordered.append(step)
    return tuple(ordered)


def chain() -> list[str]:
    """Every revision id, oldest first."""
    return [script.revision for script in history()]


def head_revision() -> str:
    return history()[-1].revision


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, or None when nothing is recorded.

    The chain is linear, so a table recording several revisions was written by hand or by a
    tool that merged branches; it is refused rather than guessed at.
    """
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")
    heads = [str(row[0]) for row in rows]
    if len(heads) > 1:
        raise several_revisions(mask_url(connection.engine.url), heads)
    return heads[0] if heads else None


def several_revisions(where: str, revisions: Sequence[str]) -> TrackstoreError:
    """The refusal for an alembic_version that holds more than one row."""
    return TrackstoreError(
        f"{where} records {len(revisions)} revisions ({', '.join(sorted(revisions))}) where one "
        "belongs, so trackstore cannot tell which schema it holds; record the one its schema "
        f"is at with `trackstore db stamp {where} REV`, then verify it with "
        f"`trackstore db check {where}`."
    )
