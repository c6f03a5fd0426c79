"""The last step of `db upgrade`: the live schema against the models the store serves, in a
second or less.

`db check` builds the expected schema on a scratch database and compares everything; this check
needs no second database (nor the right to create one) and runs after every upgrade. It reads
the live schema once and compares what a revision that recorded itself without doing its work
would leave wrong, on every database alike: tables, columns and whether they take NULL, string
lengths, primary keys, the models' named indexes and their foreign keys with their ON DELETE.
"""

import re
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Index, MetaData, Table
from sqlalchemy.engine import Dialect, Engine

from compat import TrackstoreError, dialect_for, mask_url
from compat.schema_types import NULLABLE_WHERE
from migrations import runner
from migrations.chain import VERSION_TABLE
from migrations.inspect_schema import Snapshot, snapshot, tables_of
from migrations.progress import Progress

_LENGTH = re.compile(r"CHAR\((\d+)\)", re.IGNORECASE)
# How many differences the error names; `db check` lists them all.
SHOWN = 10


def verify(engine: Engine, served: runner.ServedSchema, progress: Progress | None = None) -> None:
    """Fail, naming the drift, unless the schema matches the revision the database records.

    Only the served revision has models to compare with; at another the progress says so.
    """
    started = time.perf_counter()
    with engine.connect() as connection:
        revision = runner.current_revision(connection)
        if revision != served.revision:
            if progress is not None:
                progress(
                    f"not verified: {revision} is not the revision this trackstore serves "
                    f"({served.revision}); `trackstore db check` compares it"
                )
            return
        live = snapshot(connection)
    drift = list(differences(served.metadata, live, engine.dialect))
    if drift:
        shown = "; ".join(drift[:SHOWN]) + ("; ..." if len(drift) > SHOWN else "")
        raise TrackstoreError(
            f"{mask_url(engine.url)} records revision {revision}, but its schema differs from "
            f"it in {len(drift)} places: {shown}. Run `trackstore db check` for the full list, "
            "and repair them or restore the backup taken before the upgrade."
        )
    if progress is not None:
        seconds = time.perf_counter() - started
        progress(f"verified the schema against {revision} in {seconds:.2f} s")


def differences(head: MetaData, live: Snapshot, dialect: Dialect) -> Iterator[str]:
    """One sentence per way `live` departs from the models `head`."""
    wanted = set(head.tables)
    present = set(tables_of(live)) - {VERSION_TABLE}
    yield from (f"table {name} is missing" for name in sorted(wanted - present))
    yield from (f"table {name} is not expected" for name in sorted(present - wanted))
    for name in sorted(wanted & present):
        yield from (
            f"table {name}: {found}" for found in _table(head.tables[name], live[name], dialect)
        )


def _table(table: Table, live: dict[str, Any], dialect: Dialect) -> Iterator[str]:
    yield from _columns(table, live["columns"], dialect)
    want_key = sorted(c.name for c in table.primary_key.columns)
    key = sorted(live["primary_key"][1])
    if want_key != key:
        yield f"primary key is ({', '.join(key)}), expected ({', '.join(want_key)})"
    indexes = {i[0]: i[1:] for i in live["indexes"]}
    for index in table.indexes:
        if not _created_on(index, dialect):
            continue
        want = (tuple(_expression_name(e) for e in index.expressions), bool(index.unique))
        if indexes.get(index.name) != want:
            yield f"index {index.name} ({', '.join(want[0])}) is missing or different"
    keys = {(tuple(k[1]), k[2], tuple(k[3]), str(k[4]).upper()) for k in live["foreign_keys"]}
    for fk in table.foreign_key_constraints:
        columns = tuple(fk.column_keys)
        referred = tuple(e.column.name for e in fk.elements)
        rule = (fk.ondelete or "").upper()
        if (columns, fk.referred_table.name, referred, rule) not in keys:
            yield (
                f"foreign key ({', '.join(columns)}) -> {fk.referred_table.name} "
                f"({', '.join(referred)}){f' ON DELETE {rule}' if rule else ''} "
                "is missing or different"
            )


def _columns(table: Table, live: list[tuple[Any, ...]], dialect: Dialect) -> Iterator[str]:
    columns = {str(c[0]): c for c in live}
    for column in table.columns:
        have = columns.pop(column.name, None)
        if have is None:
            yield f"column {column.name} is missing"
            continue
        nullable = _nullable_on(column, dialect)
        if bool(have[2]) != nullable:
            state, expected = _nullable(have[2]), _nullable(nullable)
            yield f"column {column.name} is {state}, expected {expected}"
        want_length, length = _length(column.type.compile(dialect=dialect)), _length(have[1])
        if want_length and length and want_length != length:
            yield f"column {column.name} holds {length} characters, expected {want_length}"
    yield from (f"column {name} is not expected" for name in sorted(columns))


def _created_on(index: Index, dialect: Dialect) -> bool:
    """Whether the models create `index` on `dialect`: some exist on a few databases only (a
    `ddl_if` condition, as the fresh road applies it)."""
    condition = getattr(index, "_ddl_if", None)
    if condition is None or condition.callable_ is None:
        return True
    return bool(condition.callable_(None, index, None, dialect=dialect, state=condition.state))


def _expression_name(expression: Any) -> str:
    """The column an index entry is on, also for one in descending order."""
    while not isinstance(getattr(expression, "name", None), str):
        expression = expression.element
    return str(expression.name)


def _nullable_on(column: Column[Any], dialect: Dialect) -> bool:
    """Whether `column` takes NULL on `dialect`, where the models make it differ by database."""
    flag = column.info.get(NULLABLE_WHERE)
    if flag and getattr(dialect_for(dialect.name), flag):
        return True
    return bool(column.nullable)


def _length(type_sql: str) -> int | None:
    found = _LENGTH.search(type_sql)
    return int(found.group(1)) if found else None


def _nullable(nullable: object) -> str:
    return "nullable" if nullable else "NOT NULL"
