"""Microsoft SQL Server through pyodbc, with Microsoft's ODBC driver or FreeTDS.

SQLAlchemy's SQL Server types are imported where a method needs them, as in `mysql`.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from compat.dialects.base import Dialect, Trigger, changed, string_literal
from compat.errors import TrackstoreError

# Tried in this order when the URL names no driver; the first one installed is used.
PREFERRED_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")
DRIVER_VARIABLE = "TRACKSTORE_MSSQL_ODBC_DRIVER"
# sp_getapplock's resource: scoped to the current database by SQL Server itself.
MIGRATION_LOCK_RESOURCE = "trackstore_migration"
# Same code page as the default SQL_Latin1_General_CP1_CI_AS, but case- and accent-sensitive.
CASE_SENSITIVE_COLLATION = "Latin1_General_100_CS_AS_KS_WS"
# The case-sensitive collation MLflow gives its case-sensitive key columns.
# The case-sensitive collation MLflow's schema gives key columns (tag keys, MCP versions).
CASE_SENSITIVE_COLUMN_COLLATION = "SQL_Latin1_General_CP1_CS_AS"


class MSSQL(Dialect):
    name = "mssql"
    max_index_key_bytes = 1700
    lock_method = "applock"
    upsert_method = "merge"
    long_text_is_ascii = True
    backup_method = "backup_database"
    max_bind_params = 2000
    paging_needs_order_by = True
    case_sensitive_equality = False
    case_sensitive_key_collation = True
    admin_database = "master"
    defaults_are_constraints = True
    misfit_value_error_texts = ("would be truncated", "arithmetic overflow")
    # Text as VARCHAR(max), as a live server of 2012 or later gets it (TEXT is deprecated).
    offline_options: ClassVar[Mapping[str, Any]] = {"deprecate_large_types": True}
    permanent_error_texts: ClassVar[tuple[str, ...]] = ("login failed", "cannot open database")
    trigger_lookup_sql = "SELECT 1 FROM sys.triggers WHERE name = :name"

    def case_sensitive(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return column.collate(CASE_SENSITIVE_COLLATION)

    def unicode_text_type(self) -> TypeEngine[Any]:
        """NVARCHAR(max): VARCHAR's code page would turn other scripts into question marks."""
        from sqlalchemy.dialects import mssql

        return mssql.NVARCHAR(None)

    def case_sensitive_string_type(self, length: int) -> TypeEngine[Any]:
        from sqlalchemy.dialects import mssql

        return mssql.VARCHAR(length, collation=CASE_SENSITIVE_COLUMN_COLLATION)

    def json_type(self) -> TypeEngine[Any]:
        from sqlalchemy.dialects import mssql

        return mssql.JSON()

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        if url.get_driver_name() != "pyodbc":
            return url
        require_unixodbc()
        if "odbc_connect" in url.query:
            return url
        query = dict(url.query)
        if "driver" not in query:
            query["driver"] = env.get(DRIVER_VARIABLE) or installed_driver()
        if query["driver"] == "FreeTDS":
            query.setdefault("TDS_Version", "7.4")
        else:
            query.setdefault("TrustServerCertificate", "yes")
        return url.set(query=query)

    @contextmanager
    def explicit_key_insert(self, connection: Connection, table: str) -> Iterator[None]:
        """An IDENTITY column takes given values only while IDENTITY_INSERT is on for it."""
        connection.exec_driver_sql(f"SET IDENTITY_INSERT {table} ON")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"SET IDENTITY_INSERT {table} OFF")

    def drop_database_sql(self, name: str) -> list[str]:
        return [
            f"IF DB_ID('{name}') IS NOT NULL "
            f"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
            f"DROP DATABASE IF EXISTS [{name}]",
        ]

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        return {"fast_executemany": True} if url.get_driver_name() == "pyodbc" else {}

    def try_migration_lock(self, connection: Connection) -> bool:
        result = connection.exec_driver_sql(
            "SET NOCOUNT ON; DECLARE @result int; "
            f"EXEC @result = sp_getapplock @Resource = '{MIGRATION_LOCK_RESOURCE}', "
            "@LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0; "
            "SELECT @result"
        ).scalar()
        connection.commit()
        return result is not None and int(result) >= 0

    def release_migration_lock(self, connection: Connection) -> None:
        connection.exec_driver_sql(
            f"EXEC sp_releaseapplock @Resource = '{MIGRATION_LOCK_RESOURCE}', "
            "@LockOwner = 'Session'"
        )
        connection.commit()

    def migration_lock_holder(self, connection: Connection) -> str | None:
        row = connection.exec_driver_sql(
            "SELECT s.session_id, c.client_net_address, s.host_name, s.program_name "
            "FROM sys.dm_tran_locks l "
            "JOIN sys.dm_exec_sessions s ON s.session_id = l.request_session_id "
            "LEFT JOIN sys.dm_exec_connections c ON c.session_id = s.session_id "
            "WHERE l.resource_type = 'APPLICATION' AND l.request_status = 'GRANT' "
            "AND l.resource_database_id = DB_ID() "
            f"AND l.resource_description LIKE '%{MIGRATION_LOCK_RESOURCE}%'"
        ).first()
        connection.commit()
        if row is None:
            return None
        session, address, host, program = row
        return f"SQL Server session {session} from {address or host} ({program or 'no program'})"

    def triggers(self, connection: Connection) -> list[Trigger]:
        """SQL Server lists a trigger's events one row each; they are joined in name order.
        The rest is the trigger's whole definition as written (its events are in it too)."""
        rows = connection.exec_driver_sql(
            "SELECT t.name, OBJECT_NAME(t.parent_id), t.is_instead_of_trigger, e.type_desc, "
            "OBJECT_DEFINITION(t.object_id) FROM sys.triggers t "
            "JOIN sys.trigger_events e ON e.object_id = t.object_id WHERE t.parent_class = 1"
        )
        events: dict[tuple[str, str, bool, str], list[str]] = {}
        for name, table, instead, event, definition in rows.tuples():
            events.setdefault((name, table, bool(instead), definition), []).append(event)
        return [
            (
                name,
                table,
                f"{'INSTEAD OF' if instead else 'AFTER'} {' OR '.join(sorted(kinds))}",
                sql,
            )
            for (name, table, instead, sql), kinds in events.items()
        ]

    def forbid_changes_sql(
        self, trigger: str, table: str, columns: Sequence[str], message: str
    ) -> list[str]:
        """SQL Server has no row triggers: after the UPDATE, the rows before (`deleted`) and
        after (`inserted`) are paired by the key, and a changed pair rolls the statement back.
        A row whose key itself changed finds no pair, as in MLflow's trigger."""
        key = columns[0]
        return [
            f"CREATE TRIGGER {trigger} ON {table} AFTER UPDATE AS BEGIN SET NOCOUNT ON; "
            f"IF EXISTS (SELECT 1 FROM inserted i INNER JOIN deleted d ON i.{key} = d.{key} "
            f"WHERE {changed(columns, old='d', new='i')}) "
            f"BEGIN RAISERROR({string_literal(message)}, 16, 1); ROLLBACK TRANSACTION; END END"
        ]

    def drop_trigger_sql(self, trigger: str, table: str) -> list[str]:
        return [f"IF OBJECT_ID({string_literal(trigger)}, 'TR') IS NOT NULL DROP TRIGGER {trigger}"]

    def drop_unnamed_foreign_key_sql(
        self, table: str, columns: Sequence[str], referred_table: str
    ) -> list[str]:
        """The name is looked up when the script runs: SQL Server makes up a random suffix."""
        return [
            "DECLARE @fk sysname = (SELECT fk.name FROM sys.foreign_keys fk "
            "JOIN sys.foreign_key_columns c ON c.constraint_object_id = fk.object_id "
            f"WHERE fk.parent_object_id = OBJECT_ID('{table}') "
            f"AND fk.referenced_object_id = OBJECT_ID('{referred_table}') "
            f"AND COL_NAME(c.parent_object_id, c.parent_column_id) = '{columns[0]}'); "
            "DECLARE @drop_fk nvarchar(max) = "
            f"N'ALTER TABLE {table} DROP CONSTRAINT ' + QUOTENAME(@fk); "
            "EXEC sp_executesql @drop_fk"
        ]

    def drop_unnamed_unique_sql(self, table: str, columns: Sequence[str]) -> list[str]:
        """Looked up when the script runs by its columns, in key order (SQL Server makes up a
        random suffix); nothing is done when there is none."""
        listed = ",".join(columns)
        return [
            "DECLARE @uq sysname = (SELECT kc.name FROM sys.key_constraints kc "
            "JOIN sys.index_columns ic ON ic.object_id = kc.parent_object_id "
            "AND ic.index_id = kc.unique_index_id "
            f"WHERE kc.type = 'UQ' AND kc.parent_object_id = OBJECT_ID('{table}') "
            "GROUP BY kc.name HAVING STRING_AGG(COL_NAME(ic.object_id, ic.column_id), ',') "
            f"WITHIN GROUP (ORDER BY ic.key_ordinal) = '{listed}'); "
            "IF @uq IS NOT NULL BEGIN DECLARE @drop_uq nvarchar(max) = "
            f"N'ALTER TABLE {table} DROP CONSTRAINT ' + QUOTENAME(@uq); "
            "EXEC sp_executesql @drop_uq END"
        ]


def require_unixodbc() -> None:
    """Refuse in one sentence when pyodbc cannot load, most often for want of unixODBC."""
    try:
        import pyodbc  # noqa: F401
    except ImportError as exc:
        raise TrackstoreError(
            f"pyodbc cannot load ({exc}); install unixODBC and a SQL Server ODBC driver (on "
            "Debian: apt-get install unixodbc tdsodbc, or Microsoft's msodbcsql18), then "
            "run again."
        ) from None


def installed_driver() -> str:
    """The best SQL Server ODBC driver unixODBC knows of, or the preferred name if none is."""
    import pyodbc

    installed = set(pyodbc.drivers())
    return next((name for name in PREFERRED_DRIVERS if name in installed), PREFERRED_DRIVERS[0])
