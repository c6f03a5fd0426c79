"""PostgreSQL."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import literal_column, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.elements import ColumnElement

from compat.dialects.base import (
    Dialect,
    Function,
    Trigger,
    changed,
    lock_owner_label,
    running,
    split_create_trigger,
    string_literal,
)

# The advisory lock key of trackstore migrations ("trks"); below 2**31, so pg_locks shows it
# as classid 0, objid MIGRATION_LOCK_KEY.
MIGRATION_LOCK_KEY = 0x74726B73
TEMPORARY_TABLES_INFO_KEY = "trackstore_may_create_temporary_tables"


class PostgreSQL(Dialect):
    name = "postgresql"
    max_index_key_bytes = 2704
    max_bind_params = 32767
    # `bench revision_timings` on 1M metrics, 2026-11-27: 0.6-1.9 µs per row and pass for the
    # large revisions; the largest, rounded up, so that plans err on the long side.
    copy_seconds_per_row = 2e-6
    max_compares_arrays_and_lateral = True
    bulk_query_setup = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")
    adds_keys_in_bulk = True
    stages_rows_by_copy = True
    admin_database = "postgres"
    text_holds_nul = False
    drops_unique_repeating_primary_key = True
    misfit_value_error_texts = ("value too long for type", "out of range")
    busy_error_texts = (
        "deadlock detected",
        "canceling statement due to lock timeout",
        "could not serialize access",
    )
    permanent_error_texts: ClassVar[tuple[str, ...]] = (
        "password authentication failed",
        "does not exist",
        "no password supplied",
        "no pg_hba.conf entry",
    )

    def advance_key_counter(self, connection: Connection, table: str, column: str) -> None:
        """A serial column's sequence ignores given values: move it past the largest stored."""
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"GREATEST((SELECT max({column}) FROM {table}), 1))"
            ),
            {"table": table, "column": column},
        )

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        """A bare postgresql:// means psycopg2, as on SQLAlchemy 2.0 (2.1 would pick psycopg 3)."""
        return url.set(drivername="postgresql+psycopg2") if "+" not in url.drivername else url

    def may_stage_rows(self, connection: Connection) -> bool:
        """With psycopg2 (which has COPY), and where the login may create temporary tables: a
        hardened database may revoke TEMPORARY, and then rows travel as VALUES. The privilege
        is asked once per connection."""
        if not super().may_stage_rows(connection) or connection.dialect.driver != "psycopg2":
            return False
        allowed = connection.info.get(TEMPORARY_TABLES_INFO_KEY)
        if allowed is None:
            allowed = bool(
                connection.exec_driver_sql(
                    "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
                ).scalar()
            )
            connection.info[TEMPORARY_TABLES_INFO_KEY] = allowed
        return allowed

    def partial_covering_index_options(self, include: Sequence[str], where: str) -> dict[str, Any]:
        return {"postgresql_include": list(include), "postgresql_where": text(where)}

    def forbid_changes_sql(
        self, trigger: str, table: str, columns: Sequence[str], message: str
    ) -> list[str]:
        """A trigger runs a function here: one of the trigger's name, made for it alone."""
        return [
            f"CREATE OR REPLACE FUNCTION {trigger}() RETURNS TRIGGER AS $$ "
            f"BEGIN IF {changed(columns)} THEN RAISE EXCEPTION {string_literal(message)}; "
            "END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {trigger}()",
        ]

    def drop_trigger_sql(self, trigger: str, table: str) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"DROP FUNCTION IF EXISTS {trigger}()",
        ]

    def drop_database_sql(self, name: str) -> list[str]:
        return [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]

    def scan_order(self, primary_key: ColumnElement[Any]) -> ColumnElement[Any]:
        """A sequential scan returns rows in their physical order."""
        return literal_column("ctid")

    def try_migration_lock(self, connection: Connection) -> bool:
        taken = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            ).scalar()
        )
        if taken:
            connection.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": lock_owner_label()},
            )
        connection.commit()
        return taken

    def release_migration_lock(self, connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.execute(text("SELECT set_config('application_name', '', false)"))
        connection.commit()

    def migration_lock_holder(self, connection: Connection) -> str | None:
        row = connection.execute(
            text(
                "SELECT a.pid, host(a.client_addr), a.application_name, a.query, "
                "a.state = 'active', EXTRACT(EPOCH FROM now() - a.query_start) FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                "AND l.objid = :key AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": MIGRATION_LOCK_KEY},
        ).first()
        connection.commit()
        if row is None:
            return None
        pid, address, application, statement, active, seconds = row.tuple()
        where = f"from {address}" if address else "over a local socket"
        doing = running(statement, float(seconds or 0), bool(active))
        return (
            f"PostgreSQL backend pid {pid} {where} ({application or 'no application name'}){doing}"
        )

    def triggers(self, connection: Connection) -> list[Trigger]:
        """From the server's own rendering of each trigger (internal ones, which enforce
        foreign keys, left out), so that two spellings of one trigger compare equal."""
        rows = connection.exec_driver_sql(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
        return [(name, table, *split_create_trigger(sql)) for name, table, sql in rows.tuples()]

    def functions(self, connection: Connection) -> list[Function]:
        """The schema's own functions; those an extension installed belong to the extension."""
        rows = connection.exec_driver_sql(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), "
            "'RETURNS ' || pg_get_function_result(p.oid) || ' LANGUAGE ' || l.lanname, "
            "p.prosrc FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "JOIN pg_language l ON l.oid = p.prolang "
            "WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
        )
        return [tuple(row) for row in rows.tuples()]
