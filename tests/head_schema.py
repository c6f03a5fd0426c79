"""The parts of a live schema a snapshot leaves out (triggers, functions), and loading the
reference dumps of MLflow's head schema into a database, for the head-model tests."""

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

DUMPS = Path(__file__).parent / "reference" / "mlflow-3.18.0"
DUMP_FILES = {"sqlite": "sqlite.sql", "postgresql": "postgresql.sql", "mysql": "mysql-mariadb.sql"}
_TRIGGERS = (
    "SELECT trigger_name, event_object_table, action_timing, event_manipulation,"
    " action_statement FROM information_schema.triggers WHERE trigger_schema = {schema}"
)
_ROUTINE_QUERIES = {
    "sqlite": "SELECT name, tbl_name, '', '', sql FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": _TRIGGERS.format(schema="current_schema()")
    + " UNION ALL SELECT p.proname, '', '', '', p.prosrc FROM pg_proc p"
    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()",
    "mysql": _TRIGGERS.format(schema="DATABASE()"),
}


def routines(connection: Connection) -> list[tuple[str, ...]]:
    """Triggers and functions as (name, table, when, event, body), whitespace squashed."""
    rows = connection.execute(text(_ROUTINE_QUERIES[connection.dialect.name]))
    return sorted(tuple(" ".join(str(part).split()) for part in row) for row in rows)


def load_dump(engine: Engine, backend: str) -> None:
    """Run the reference dump for `backend` on `engine`'s (empty) database."""
    script = (DUMPS / DUMP_FILES[backend]).read_text()
    if backend == "sqlite":
        with sqlite3.connect(engine.url.database or "") as connection:
            connection.executescript(script)
        return
    statements = _mysql_statements(script) if backend == "mysql" else [_psql_free(script)]
    raw: Any = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()


def _psql_free(script: str) -> str:
    """The dump without psql's own commands (lines starting with a backslash)."""
    return "\n".join(line for line in script.splitlines() if not line.startswith("\\"))


def _mysql_statements(script: str) -> list[str]:
    """The dump cut into statements, following its DELIMITER commands as the client does; its
    tables come in name order, so foreign keys are checked only once all exist."""
    statements, current, delimiter = ["SET FOREIGN_KEY_CHECKS = 0"], [], ";"
    for line in script.splitlines():
        if line.startswith("DELIMITER "):
            delimiter = line.split()[1]
            continue
        if line.startswith("/*M!") or not line.strip():
            continue
        current.append(line)
        if line.rstrip().endswith(delimiter):
            statement = "\n".join(current).rstrip()[: -len(delimiter)]
            statements.append(statement)
            current = []
    return statements
