"""A comparable picture of a live schema, and the differences between two of them.

The snapshot is plain data (table by table: columns, keys, indexes, checks, triggers; then the
views and stored functions, each an entry with its "kind"), so two databases of one dialect
have the same schema exactly when their snapshots are equal. `differences` says in words what
`db check` found missing, extra or different.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from compat import dialect_for

Snapshot = dict[str, dict[str, Any]]
Item = tuple[Any, ...]
Describe = Callable[[Item], str]
_CASTS = re.compile(
    r"::(?:character varying|double precision|text|integer|bigint|smallint|boolean|numeric)"
    r"(?:\[\])?"
)
_PARENTHESES = re.compile(r"[()]")
# A string literal, kept as written while the source around it is normalized.
_LITERAL = re.compile(r"'(?:[^']|'')*'")
# Space around these is not significant in SQL source.
_PUNCTUATION_SPACE = re.compile(r"\s*([(),;])\s*")
# What a database keeps before a view's query (MySQL: with its definer, which differs by login).
_VIEW_HEADER = re.compile(r"^.*?\bVIEW\s+\S+\s+AS\s+", re.IGNORECASE | re.DOTALL)


def snapshot(bind: Engine | Connection) -> Snapshot:
    """The schema of `bind`'s database: its tables by name, then its views by name and its
    stored functions by signature (`name(arguments)`)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return snapshot(connection)
    tables = _tables(bind)
    for name in sorted(inspect(bind).get_view_names()):
        definition = _VIEW_HEADER.sub("", inspect(bind).get_view_definition(name) or "")
        tables[name] = {"kind": "view", "definition": source_text(definition)}
    for name, arguments, returns, source in dialect_for(bind.dialect.name).functions(bind):
        tables[f"{name}({arguments})"] = {
            "kind": "function",
            "returns": returns,
            "source": source_text(source),
        }
    return tables


def source_text(sql: str) -> str:
    """`sql` (a trigger's action, a function's body, a view's query) as compared: whitespace
    and letter case count only inside string literals, and a final semicolon not at all."""
    parts, last = [], 0
    for literal in _LITERAL.finditer(sql):
        parts += [_plain_source(sql[last : literal.start()]), literal.group()]
        last = literal.end()
    parts.append(_plain_source(sql[last:]))
    return "".join(parts).strip().rstrip(";").strip()


def _plain_source(sql: str) -> str:
    return _PUNCTUATION_SPACE.sub(r"\1", re.sub(r"\s+", " ", sql.lower()))


def _tables(connection: Connection) -> Snapshot:
    inspector = inspect(connection)
    dialect = inspector.dialect
    triggers: dict[str, list[Item]] = {}
    for name, table, when, rest in dialect_for(dialect.name).triggers(connection):
        triggers.setdefault(table, []).append((name, when, source_text(rest)))
    tables: Snapshot = {}
    for table in sorted(inspector.get_table_names()):
        pk = inspector.get_pk_constraint(table)
        tables[table] = {
            "columns": [
                (c["name"], _type(c["type"], dialect), c["nullable"], _default(c.get("default")))
                for c in inspector.get_columns(table)
            ],
            "primary_key": (pk.get("name"), tuple(pk["constrained_columns"])),
            "foreign_keys": sorted(
                (
                    fk.get("name") or "",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete") or "",
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique_constraints": sorted(
                (u.get("name") or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i.get("name") or "", tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "check_constraints": sorted(
                (c.get("name") or "", _squash(c["sqltext"]))
                for c in inspector.get_check_constraints(table)
            ),
            "triggers": sorted(triggers.get(table, [])),
        }
    return tables


def differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    """One sentence per way `actual` departs from `expected`; empty when they agree.

    Expressions (checks, defaults) are compared without casts and parentheses: PostgreSQL
    spells one CHECK differently after a dump and restore, and that is no drift.
    """
    expected, actual = _canonical(expected), _canonical(actual)
    found = [f"{_object(n, expected[n])} is missing" for n in sorted(expected.keys() - actual)]
    found += [f"{_object(n, actual[n])} is not expected" for n in sorted(actual.keys() - expected)]
    for table in sorted(expected.keys() & actual.keys()):
        want, have = expected[table], actual[table]
        if _kind(want) != "table" or _kind(have) != "table":
            found += _routine_differences(table, want, have)
            continue
        found += _column_differences(table, want["columns"], have["columns"])
        if want["primary_key"] != have["primary_key"]:
            found.append(
                f"table {table}: primary key is {_pk(have['primary_key'])}, "
                f"expected {_pk(want['primary_key'])}"
            )
        for kind, (label, describe) in _KEYED_PARTS.items():
            found += _keyed_differences(f"table {table}: {label}", describe, want[kind], have[kind])
    return found


def _kind(entry: dict[str, Any]) -> str:
    return str(entry.get("kind", "table"))


def _object(name: str, entry: dict[str, Any]) -> str:
    return f"{_kind(entry)} {name}"


def _routine_differences(name: str, want: dict[str, Any], have: dict[str, Any]) -> list[str]:
    """A view or function that differs (or a table where one was expected), part by part."""
    if _kind(want) != _kind(have):
        return [f"{_object(name, have)} is not expected, expected {_object(name, want)}"]
    return [
        f"{_object(name, have)}: its {part} is {have.get(part)!r}, expected {want[part]!r}"
        for part in sorted(want)
        if want[part] != have.get(part)
    ]


def tables_of(tables: Snapshot) -> Snapshot:
    """The tables of a snapshot, without its views and functions."""
    return {name: entry for name, entry in tables.items() if _kind(entry) == "table"}


def _column_differences(table: str, want: list[Item], have: list[Item]) -> list[str]:
    wanted = {c[0]: c for c in want}
    present = {c[0]: c for c in have}
    found = [f"table {table}: column {c} is missing" for c in wanted if c not in present]
    found += [f"table {table}: column {c} is not expected" for c in present if c not in wanted]
    for name in wanted.keys() & present.keys():
        _, want_type, want_null, want_default = wanted[name]
        _, type_, null, default = present[name]
        where = f"table {table}: column {name}"
        if type_ != want_type:
            found.append(f"{where} is {type_}, expected {want_type}")
        if null != want_null:
            found.append(f"{where} is {_nullable(null)}, expected {_nullable(want_null)}")
        if default != want_default:
            found.append(f"{where} defaults to {default}, expected {want_default}")
    return sorted(found)


def _keyed_differences(
    where: str, describe: Describe, want: Iterable[Item], have: Iterable[Item]
) -> list[str]:
    """Missing, extra and changed items of one kind, matched by name (or shape when unnamed)."""
    wanted = {_key(item): item for item in want}
    present = {_key(item): item for item in have}
    found = [f"{where} {describe(wanted[k])} is missing" for k in sorted(wanted - present.keys())]
    found += [
        f"{where} {describe(present[k])} is not expected" for k in sorted(present - wanted.keys())
    ]
    found += [
        f"{where} is {describe(present[k])}, expected {describe(wanted[k])}"
        for k in sorted(wanted.keys() & present.keys())
        if wanted[k] != present[k]
    ]
    return found


def _key(item: Item) -> str:
    return item[0] or repr(item[1:])


def _describe_foreign_key(fk: Item) -> str:
    name, columns, referred, referred_columns, ondelete = fk
    rule = f" ON DELETE {ondelete}" if ondelete else ""
    target = f"{referred} ({', '.join(referred_columns)})"
    return f"{name or '(unnamed)'} ({', '.join(columns)}) -> {target}{rule}"


def _describe_unique(unique: Item) -> str:
    return f"{unique[0] or '(unnamed)'} ({', '.join(unique[1])})"


def _describe_index(index: Item) -> str:
    name, columns, unique = index
    return f"{name or '(unnamed)'} ({', '.join(columns)}){' unique' if unique else ''}"


def _describe_check(check: Item) -> str:
    return f"{check[0] or '(unnamed)'} CHECK ({check[1]})"


def _describe_trigger(trigger: Item) -> str:
    name, when, rest = trigger
    return f"{name} ({when}) {rest}"


_KEYED_PARTS: dict[str, tuple[str, Describe]] = {
    "foreign_keys": ("foreign key", _describe_foreign_key),
    "unique_constraints": ("unique constraint", _describe_unique),
    "indexes": ("index", _describe_index),
    "check_constraints": ("check constraint", _describe_check),
    "triggers": ("trigger", _describe_trigger),
}


def _pk(pk: Item) -> str:
    name, columns = pk
    return f"{name or '(unnamed)'} ({', '.join(columns)})"


def _nullable(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"


def _canonical(tables: Snapshot) -> Snapshot:
    return {
        name: {
            **table,
            "columns": [(*c[:3], c[3] and _expression(c[3])) for c in table["columns"]],
            "check_constraints": sorted(
                (check_name, _expression(text)) for check_name, text in table["check_constraints"]
            ),
        }
        if _kind(table) == "table"
        else table
        for name, table in tables.items()
    }


def _expression(sql: str) -> str:
    return _squash(_PARENTHESES.sub("", _CASTS.sub("", sql)))


def _type(column_type: Any, dialect: Any) -> str:
    return str(column_type.compile(dialect=dialect))


def _default(default: Any) -> str | None:
    return None if default is None else _squash(str(default))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()
