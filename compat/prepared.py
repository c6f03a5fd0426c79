"""Statements compiled once per database and run straight on the driver's cursor.

For the hottest reads (everything a get_run reads: the run, its metrics, params, tags,
datasets and models), SQLAlchemy's work per execution — the cache lookup, the execution
context, a Row object per row — costs more than the database's. The SQL is still
SQLAlchemy's, compiled for the connection's dialect, so nothing here is spelled per database.
Rows come back as the driver's tuples, without type processing: use it only for columns the
drivers return as Python wants them (text, integers, floats; booleans arrive as 0/1 on SQLite
and MySQL).
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler


class PreparedSelect:
    """A SELECT with named bind parameters, compiled the first time each dialect runs it.
    Values written into the statement (`column == "RUN"`) travel as parameters too."""

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self._compiled: dict[Dialect, SQLCompiler] = {}

    def mappings(self, connection: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as dicts keyed by the selected columns' names (their labels, if any)."""
        names = self.stmt.selected_columns.keys()
        return [dict(zip(names, row, strict=True)) for row in self.rows(connection, params)]

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(connection.dialect)
        if compiled is None:
            compiled = connection.dialect.statement_compiler(connection.dialect, self.stmt)
            self._compiled[connection.dialect] = compiled
        arguments: Any = compiled.construct_params(dict(params))
        if compiled.positional:
            arguments = tuple(arguments[name] for name in compiled.positiontup or ())
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.string, arguments)
            return list(cursor.fetchall())
        finally:
            cursor.close()
