"""A comparable picture of a live schema: every table's columns, keys, indexes and checks.

Two databases have the same schema when their snapshots are equal; the snapshot is plain data
so that pytest can print the difference.
"""

import re
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

Snapshot = dict[str, dict[str, Any]]


def snapshot(bind: Engine | Connection) -> Snapshot:
    """The schema of `bind`'s database, table by table."""
    inspector = inspect(bind)
    dialect = inspector.dialect
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
        }
    return tables


def _type(column_type: Any, dialect: Any) -> str:
    return str(column_type.compile(dialect=dialect))


def _default(default: Any) -> str | None:
    return None if default is None else _squash(str(default))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()
