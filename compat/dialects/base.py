"""What a database can do, as declarative flags, and the few behaviours that differ.

Callers ask a flag (`dialect.transactional_ddl`) or call a method; they never compare
dialect names. Each subclass overrides only what differs from these defaults.
"""

import os
import re
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from compat.errors import TrackstoreError

_REGISTRY: dict[str, type["Dialect"]] = {}
# A trigger as the database describes it: its name, its table, when it fires ("BEFORE UPDATE"),
# and the rest of its definition (per row or statement, condition, action) as the database keeps it.
Trigger = tuple[str, str, str, str]
# A stored function: its name, its arguments, what it returns (and in which language), its source.
Function = tuple[str, str, str, str]
_CREATE_TRIGGER = re.compile(
    r"\s*CREATE\s+(?:CONSTRAINT\s+|TEMP\s+|TEMPORARY\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"\S+\s+(?P<when>.+?)\s+ON\s+\S+\s+(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
LOCK_POLL_SECONDS = 0.5
# How much of the lock holder's running statement a waiter is shown.
STATEMENT_SHOWN = 80


class Dialect:
    name: ClassVar[str] = ""

    # A failed migration rolls its DDL back with the transaction.
    transactional_ddl: ClassVar[bool] = True
    # Longest index key the engine accepts, in bytes; None when there is no practical limit.
    max_index_key_bytes: ClassVar[int | None] = None
    # Booleans are a real type rather than a small integer with a CHECK constraint.
    native_boolean: ClassVar[bool] = True
    # ALTER TABLE cannot change columns or constraints in place: tables are copied and swapped.
    alters_by_copying_table: ClassVar[bool] = False
    # Plain string equality is case-sensitive (MySQL's default collations are not).
    case_sensitive_equality: ClassVar[bool] = True
    # Key columns that must tell "A" from "a" need a collation of their own (see
    # `case_sensitive_string_type`); where plain equality is case-sensitive they do not.
    case_sensitive_key_collation: ClassVar[bool] = False
    # How one upgrader at a time is enforced: "advisory", "get_lock", "applock" or "exclusive".
    lock_method: ClassVar[str] = "advisory"
    # How an insert-or-update is spelled: "on_conflict", "on_duplicate_key" or "merge".
    upsert_method: ClassVar[str] = "on_conflict"
    # Many rows reach a table faster by COPY into a temporary table and one INSERT ... SELECT
    # than as a multi-row VALUES statement the server must parse (used with psycopg2).
    stages_rows_by_copy: ClassVar[bool] = False
    # Seconds a migration spends per row when it copies a table once (SQLite's, measured with
    # `python -m bench revision_timings`; SQL Server's is not measured yet); --dry-run uses it.
    copy_seconds_per_row: ClassVar[float] = 4.5e-5
    # The database is a file this process opens, not a server holding many databases.
    file_based: ClassVar[bool] = False
    # A store opening an empty database creates the schema unasked (a new file is how SQLite
    # stores start); on a server that waits for an explicit request.
    create_schema_when_empty: ClassVar[bool] = False
    # How a whole database is backed up: "sqlite_api", "pg_dump", "mysqldump" or "backup_database".
    backup_method: ClassVar[str] = "pg_dump"
    # Most bound parameters one statement may carry.
    max_bind_params: ClassVar[int] = 30000
    # LIMIT/OFFSET paging needs an ORDER BY to be valid SQL.
    paging_needs_order_by: ClassVar[bool] = False
    # A column DEFAULT is a constraint of its own that must be dropped before the column.
    defaults_are_constraints: ClassVar[bool] = False
    # Every foreign key needs an index on its columns; the engine makes one if none exists.
    foreign_keys_need_index: ClassVar[bool] = False
    # Plain TEXT holds at most 64 KiB, so large documents need `large_text_type()`.
    small_text: ClassVar[bool] = False
    # Long text (span documents) keeps one code page, so JSON in it escapes other characters.
    long_text_is_ascii: ClassVar[bool] = False
    # Options for the SQLAlchemy dialect that writes offline (--sql) scripts without a server.
    offline_options: ClassVar[Mapping[str, Any]] = {}
    # Changing a column's type through Alembic leaves the CHECK its old type carried in place.
    type_change_keeps_old_check: ClassVar[bool] = False
    # Altering a column's type without restating its DEFAULT loses the DEFAULT (MODIFY COLUMN).
    type_change_drops_default: ClassVar[bool] = False
    # max() compares arrays element by element, and a LATERAL subquery may read the columns of
    # the tables before it: one hashed scan then finds each group's greatest row (see
    # `compat.migration.greatest_in_order`) where a window would sort the whole table.
    max_compares_arrays_and_lateral: ClassVar[bool] = False
    # Statements that set up a revision's transaction for one query over a whole large table
    # (on PostgreSQL: room to hash rather than sort, and no JIT that costs more than it saves).
    bulk_query_setup: ClassVar[tuple[str, ...]] = ()
    # A primary key added to a filled table builds its index in one sort and a foreign key checks
    # it with one join, where keys in place while rows go in work row by row (MySQL's ALTER
    # TABLE copies the table instead): a large fill into a new table goes in before its keys.
    adds_keys_in_bulk: ClassVar[bool] = False
    # The statement that begins a transaction which is going to write, where the database must
    # hear it up front (see compat.transactions); None: one BEGIN serves readers and writers.
    begin_writer_sql: ClassVar[str | None] = None
    # Words of a driver error meaning other sessions held a lock for longer than this one
    # waits: a later try may succeed, so it is answered as busy (503), not as a failure.
    busy_error_texts: ClassVar[tuple[str, ...]] = ()
    # Words of a driver error meaning a value does not fit its column (too long, out of range):
    # the client's input, answered 400. SQLite stores any length and never says so.
    misfit_value_error_texts: ClassVar[tuple[str, ...]] = ()
    # Text columns can hold the NUL character (PostgreSQL's refuse it, and so does its driver).
    text_holds_nul: ClassVar[bool] = True
    # CREATE TABLE leaves out a UNIQUE over the primary key's columns, as one adds nothing.
    drops_unique_repeating_primary_key: ClassVar[bool] = False
    # The command-line client ends a statement at every semicolon, even inside the body of a
    # trigger: an offline script sets another delimiter around a statement with a body.
    client_splits_bodies: ClassVar[bool] = False
    # Largest value an Integer column (experiment ids) holds: a 4-byte INT, or SQLite's 8 bytes.
    max_integer: ClassVar[int] = 2**31 - 1
    # A query that returns a row when the current database has the trigger bound as :name.
    trigger_lookup_sql: ClassVar[str] = (
        "SELECT 1 FROM information_schema.triggers WHERE trigger_name = :name"
    )
    # Only an INTEGER primary key numbers rows by itself (SQLite's rowid); a BIGINT one does not.
    autoincrement_needs_integer: ClassVar[bool] = False
    # Renaming a column restates its whole definition (CHANGE COLUMN), so a rename that does not
    # repeat NOT NULL leaves the column nullable: MLflow's jobs.job_name is nullable here.
    rename_forgets_not_null: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.name] = cls

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        """The URL as the driver should receive it (defaults a driver may need)."""
        return url

    def keep_settings(self, engine: Engine, env: Mapping[str, str]) -> None:
        """Give a database that trackstore created, or whose revision the guard accepted, the
        lasting settings trackstore serves it with (SQLite's journal mode); never called before
        the guard has accepted it, so a refused database stays as it was."""

    def check_location(self, url: URL, may_create: bool) -> None:
        """Refuse, in one sentence, a database the URL names that cannot be one (a file
        database's path); `may_create` False also refuses one that does not exist yet."""

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        """Extra keyword arguments for `sqlalchemy.create_engine` on this database."""
        return {}

    # The database an administrative connection opens to create or drop others.
    admin_database: ClassVar[str | None] = None

    def create_database_sql(self, name: str) -> str:
        return f"CREATE DATABASE {name}"

    def drop_database_sql(self, name: str) -> list[str]:
        return [f"DROP DATABASE IF EXISTS {name}"]

    def on_engine(self, engine: Engine) -> None:
        """Install what every new connection of `engine` needs (session settings, pragmas)."""

    def may_stage_rows(self, connection: Connection) -> bool:
        """Whether this connection can stage rows (see `stages_rows_by_copy`) right now."""
        return self.stages_rows_by_copy

    def for_migrations(self, connection: Connection) -> Connection:
        """`connection` set up to run schema changes (SQLite: foreign keys off while copying)."""
        return connection

    def is_permanent_connect_error(self, message: str) -> bool:
        """True when waiting longer cannot help (bad credentials, unknown database)."""
        lowered = message.lower()
        return any(text in lowered for text in self.permanent_error_texts)

    permanent_error_texts: ClassVar[tuple[str, ...]] = ()

    def is_busy_error(self, error: BaseException) -> bool:
        """True when `error` says the database was locked by others (see `busy_error_texts`)."""
        return _driver_error_says(error, self.busy_error_texts)

    def is_misfit_value_error(self, error: BaseException) -> bool:
        """True when `error` says a value did not fit its column (`misfit_value_error_texts`)."""
        return _driver_error_says(error, self.misfit_value_error_texts)

    def large_text_type(self) -> TypeEngine[Any]:
        """The column type for documents that may exceed 64 KiB."""
        return Text()

    def identity_key_type(self) -> TypeEngine[Any]:
        """The type of a numbered surrogate key (MLflow's rollup tables): BIGINT."""
        return BigInteger()

    def index_prefix_options(self, prefixes: Mapping[str, int]) -> dict[str, Any]:
        """Index options that index only the first `prefixes[column]` characters of those
        columns, where index keys are too short for the whole (MySQL); empty elsewhere."""
        return {}

    def partial_covering_index_options(self, include: Sequence[str], where: str) -> dict[str, Any]:
        """Index options that add `include` to the index's leaves and index only the rows
        matching `where`, where MLflow's schema asks for them (PostgreSQL); empty elsewhere."""
        return {}

    def unicode_text_type(self) -> TypeEngine[Any]:
        """Text of any length in any script: tag values that may run to 20,000 characters."""
        return Text()

    def case_sensitive_string_type(self, length: int) -> TypeEngine[Any]:
        """A string column whose comparisons, keys and indexes tell "A" from "a"."""
        return String(length)

    def json_type(self) -> TypeEngine[Any]:
        """The column type MLflow gives JSON documents on this database."""
        return JSON()

    def longest_text_type(self) -> TypeEngine[Any]:
        """The column type for documents of any size the database can hold (MySQL: 4 GiB)."""
        return Text()

    def forbid_changes_sql(
        self, trigger: str, table: str, columns: Sequence[str], message: str
    ) -> list[str]:
        """Statements that install `trigger`: an UPDATE of `table` that changes any of
        `columns` fails with `message`. The first column is the table's key."""
        raise NotImplementedError(f"{type(self).__name__} has no triggers")

    def drop_trigger_sql(self, trigger: str, table: str) -> list[str]:
        """Statements that remove `trigger` from `table`, and what it alone used."""
        return [f"DROP TRIGGER IF EXISTS {trigger}"]

    def case_sensitive(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """`column` as =, LIKE and IN compare it case-sensitively, where plain comparison does
        not (see `case_sensitive_equality`); callers keep the plain comparison beside it so
        indexes still serve the search."""
        return column

    def scan_order(self, primary_key: ColumnElement[Any]) -> ColumnElement[Any]:
        """What orders a table's rows as a plain full scan of it returns them, given its
        one-column `primary_key`; tables clustered on their primary key scan in its order."""
        return primary_key

    @contextmanager
    def explicit_key_insert(self, connection: Connection, table: str) -> Iterator[None]:
        """Inside this block an insert into `table` may give its auto-increment key a value of
        its own, zero included (the Default experiment has id 0)."""
        yield

    def advance_key_counter(self, connection: Connection, table: str, column: str) -> None:
        """After inserts that gave `table`'s auto-increment `column` values of their own, make
        the next generated value larger than every stored one (most engines do so themselves)."""

    def drop_unnamed_foreign_key_sql(
        self, table: str, columns: Sequence[str], referred_table: str
    ) -> list[str]:
        """Offline SQL dropping the foreign key from `table` that the database named itself."""
        return [f"ALTER TABLE {table} DROP CONSTRAINT {table}_{'_'.join(columns)}_fkey"]

    def drop_unnamed_unique_sql(self, table: str, columns: Sequence[str]) -> list[str]:
        """Offline SQL dropping the unique constraint over `columns` that the database named
        itself, when the table has one."""
        return [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{'_'.join(columns)}_key"]

    def acquire_migration_lock(self, connection: Connection, wait_seconds: float) -> bool:
        """Take the database's migration lock for `connection`'s session, waiting at most
        `wait_seconds`; False when another session still holds it then.

        The lock belongs to the session, not a transaction, so the server frees it when the
        holder's connection ends, even if its host dies part-way.
        """
        deadline = time.monotonic() + wait_seconds
        while not self.try_migration_lock(connection):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(LOCK_POLL_SECONDS, remaining))
        return True

    def try_migration_lock(self, connection: Connection) -> bool:
        """Take the migration lock now if it is free (see `lock_method`)."""
        raise NotImplementedError(f"{type(self).__name__} has no migration lock")

    def release_migration_lock(self, connection: Connection) -> None:
        """Give back the lock that `try_migration_lock` took on `connection`."""
        raise NotImplementedError(f"{type(self).__name__} has no migration lock")

    def migration_lock_holder(self, connection: Connection) -> str | None:
        """Who holds the migration lock, as far as the database can tell (None: it cannot)."""
        return None

    def triggers(self, connection: Connection) -> list[Trigger]:
        """The triggers on the tables of the connection's database (its current schema)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its triggers")

    def functions(self, connection: Connection) -> list[Function]:
        """The stored functions of the connection's current schema that triggers run. Only
        PostgreSQL's triggers call a function; elsewhere a trigger holds its own action."""
        return []


def _driver_error_says(error: BaseException, texts: tuple[str, ...]) -> bool:
    """Whether `error` is a driver error whose message holds one of `texts` (lower case)."""
    if not isinstance(error, DBAPIError) or not texts:
        return False
    message = str(error.orig).lower()
    return any(text in message for text in texts)


def split_create_trigger(sql: str) -> tuple[str, str]:
    """When a trigger fires ("BEFORE UPDATE", upper case, one space apart) and the rest of its
    definition, read from its CREATE TRIGGER statement; one not understood stays whole."""
    found = _CREATE_TRIGGER.match(sql)
    if found is None:
        return "", sql
    return " ".join(found["when"].upper().split()), found["rest"]


def changed(columns: Sequence[str], old: str = "OLD", new: str = "NEW") -> str:
    """SQL true when a row's `old` and `new` images differ in any of `columns`."""
    return " OR ".join(f"{old}.{column} != {new}.{column}" for column in columns)


def string_literal(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lock_owner_label() -> str:
    """How this process names itself to the database while it holds the migration lock."""
    return f"trackstore migration on {socket.gethostname()} pid {os.getpid()}"


def running(statement: str | None, seconds: float, active: bool) -> str:
    """What the lock's holder is doing, as its waiter is told: the server goes on with a killed
    upgrader's statement, and frees the lock only once it ends."""
    if not statement or not active:
        return ", idle"
    first = " ".join(statement.split())
    shown = first if len(first) <= STATEMENT_SHOWN else first[: STATEMENT_SHOWN - 3] + "..."
    return f", running `{shown}` for {seconds:.0f} s"


def registered_dialects() -> list[Dialect]:
    """Every dialect trackstore knows, for schema pieces that carry options for each."""
    return [cls() for cls in _REGISTRY.values()]


def dialect_for(name: str) -> Dialect:
    """The dialect registered as `name` (a SQLAlchemy dialect name such as "postgresql")."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise TrackstoreError(
            f"trackstore does not support the database '{name}'; use one of: {known}."
        ) from None
