"""What a database can do, as declarative flags, and the few behaviours that differ.

Callers ask a flag (`dialect.transactional_ddl`) or call a method; they never compare
dialect names. Each subclass overrides only what differs from these defaults.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import URL, Connection, Engine

from compat.errors import TrackstoreError

_REGISTRY: dict[str, type["Dialect"]] = {}


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
    # How one upgrader at a time is enforced: "advisory", "get_lock", "applock" or "exclusive".
    lock_method: ClassVar[str] = "advisory"
    # How an insert-or-update is spelled: "on_conflict", "on_duplicate_key" or "merge".
    upsert_method: ClassVar[str] = "on_conflict"
    # How a whole database is backed up: "sqlite_api", "pg_dump", "mysqldump" or "backup_database".
    backup_method: ClassVar[str] = "pg_dump"
    # Most bound parameters one statement may carry.
    max_bind_params: ClassVar[int] = 30000
    # LIMIT/OFFSET paging needs an ORDER BY to be valid SQL.
    paging_needs_order_by: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.name] = cls

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        """The URL as the driver should receive it (defaults a driver may need)."""
        return url

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

    def for_migrations(self, connection: Connection) -> Connection:
        """`connection` set up to run schema changes (SQLite: foreign keys off while copying)."""
        return connection

    def is_permanent_connect_error(self, message: str) -> bool:
        """True when waiting longer cannot help (bad credentials, unknown database)."""
        lowered = message.lower()
        return any(text in lowered for text in self.permanent_error_texts)

    permanent_error_texts: ClassVar[tuple[str, ...]] = ()


def dialect_for(name: str) -> Dialect:
    """The dialect registered as `name` (a SQLAlchemy dialect name such as "postgresql")."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise TrackstoreError(
            f"trackstore does not support the database '{name}'; use one of: {known}."
        ) from None
