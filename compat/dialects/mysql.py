"""MySQL and MariaDB: no transactional DDL, case-insensitive equality, SSL settings.

SQLAlchemy's MySQL types are imported where a method needs them: every command loads this
module, and importing that dialect is a noticeable part of a short command's start-up.
"""

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import cast, text, type_coerce
from sqlalchemy.engine import URL, Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from compat.dialects.base import Dialect, Trigger, changed, running, string_literal
from compat.errors import TrackstoreError

# GET_LOCK names are server-wide and at most 64 characters: the database name is part of it.
LOCK_NAME_PREFIX = "trackstore_migration."
LOCK_NAME_LIMIT = 64

# The collation of columns whose values differ by case alone (MLflow's choice for tag keys).
BINARY_COLLATION = "utf8mb4_bin"

# MLflow's variable names, each mapped to the PyMySQL connect argument it fills.
SSL_VARIABLES = {
    "MLFLOW_MYSQL_SSL_CA": "ssl_ca",
    "MLFLOW_MYSQL_SSL_CERT": "ssl_cert",
    "MLFLOW_MYSQL_SSL_KEY": "ssl_key",
}


class MySQL(Dialect):
    name = "mysql"
    transactional_ddl = False
    max_index_key_bytes = 3072
    native_boolean = False
    case_sensitive_equality = False
    case_sensitive_key_collation = True
    lock_method = "get_lock"
    upsert_method = "on_duplicate_key"
    backup_method = "mysqldump"
    max_bind_params = 65535
    copy_seconds_per_row = 1.5e-5
    foreign_keys_need_index = True
    small_text = True
    misfit_value_error_texts = ("data too long for column", "out of range value")
    busy_error_texts = ("deadlock found when trying to get lock", "lock wait timeout exceeded")
    # Offline scripts drop a CHECK with DROP CONSTRAINT, which MariaDB and MySQL 8.0.19+ take.
    offline_options: ClassVar[Mapping[str, Any]] = {"is_mariadb": True}
    type_change_keeps_old_check = True
    type_change_drops_default = True
    rename_forgets_not_null = True
    permanent_error_texts: ClassVar[tuple[str, ...]] = ("access denied", "unknown database")
    client_splits_bodies = True
    trigger_lookup_sql = (
        "SELECT 1 FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE() AND trigger_name = :name"
    )

    def case_sensitive(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        from sqlalchemy.dialects.mysql import BINARY

        return type_coerce(cast(column, BINARY), column.type)

    def large_text_type(self) -> TypeEngine[Any]:
        from sqlalchemy.dialects.mysql import MEDIUMTEXT

        return MEDIUMTEXT()

    def index_prefix_options(self, prefixes: Mapping[str, int]) -> dict[str, Any]:
        return {"mysql_length": dict(prefixes)} if prefixes else {}

    def unicode_text_type(self) -> TypeEngine[Any]:
        return self.large_text_type()

    def case_sensitive_string_type(self, length: int) -> TypeEngine[Any]:
        from sqlalchemy.dialects.mysql import VARCHAR

        return VARCHAR(length, collation=BINARY_COLLATION)

    def longest_text_type(self) -> TypeEngine[Any]:
        from sqlalchemy.dialects.mysql import LONGTEXT

        return LONGTEXT()

    def forbid_changes_sql(
        self, trigger: str, table: str, columns: Sequence[str], message: str
    ) -> list[str]:
        return [
            f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"BEGIN IF {changed(columns)} THEN SIGNAL SQLSTATE '45000' "
            f"SET MESSAGE_TEXT = {string_literal(message)}; END IF; END"
        ]

    def drop_unnamed_foreign_key_sql(
        self, table: str, columns: Sequence[str], referred_table: str
    ) -> list[str]:
        """The name is looked up when the script runs (it is `<table>_ibfk_<n>`, n unknown)."""
        return [
            "SET @fk = (SELECT constraint_name FROM information_schema.key_column_usage "
            f"WHERE table_schema = DATABASE() AND table_name = '{table}' "
            f"AND column_name = '{columns[0]}' AND referenced_table_name = '{referred_table}')",
            f"SET @drop_fk = CONCAT('ALTER TABLE {table} DROP FOREIGN KEY `', @fk, '`')",
            "PREPARE drop_fk FROM @drop_fk",
            "EXECUTE drop_fk",
            "DROP PREPARE drop_fk",
        ]

    def drop_unnamed_unique_sql(self, table: str, columns: Sequence[str]) -> list[str]:
        """The unique index is named after its first column (then `_2`, ...): looked up when
        the script runs, and nothing is done when there is none."""
        listed = ",".join(columns)
        return [
            "SET @uq = (SELECT index_name FROM information_schema.statistics "
            f"WHERE table_schema = DATABASE() AND table_name = '{table}' AND non_unique = 0 "
            "AND index_name != 'PRIMARY' GROUP BY index_name "
            f"HAVING GROUP_CONCAT(column_name ORDER BY seq_in_index) = '{listed}' LIMIT 1)",
            f"SET @drop_uq = IF(@uq IS NULL, 'DO 0', CONCAT('ALTER TABLE {table} DROP INDEX `', "
            "@uq, '`'))",
            "PREPARE drop_uq FROM @drop_uq",
            "EXECUTE drop_uq",
            "DROP PREPARE drop_uq",
        ]

    @contextmanager
    def explicit_key_insert(self, connection: Connection, table: str) -> Iterator[None]:
        """AUTO_INCREMENT turns an inserted 0 into the next value unless the session's sql_mode
        has NO_AUTO_VALUE_ON_ZERO; the mode is added for the block and then restored."""
        previous = connection.execute(text("SELECT @@SESSION.sql_mode")).scalar()
        connection.execute(
            text("SET @@SESSION.sql_mode = CONCAT_WS(',', :mode, 'NO_AUTO_VALUE_ON_ZERO')"),
            {"mode": previous or None},
        )
        try:
            yield
        finally:
            connection.execute(text("SET @@SESSION.sql_mode = :mode"), {"mode": previous})

    def create_database_sql(self, name: str) -> str:
        return f"CREATE DATABASE {name} CHARACTER SET utf8mb4"

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        """Refuse a `charset` PyMySQL does not know; it would fail on connect with no name."""
        charset = url.query.get("charset")
        if isinstance(charset, str) and url.get_driver_name() == "pymysql":
            from pymysql.charset import charset_by_name  # type: ignore[import-untyped,unused-ignore]

            if charset_by_name(charset) is None:
                raise TrackstoreError(
                    f"The URI asks for the MySQL character set '{charset}', which PyMySQL does "
                    "not know; use charset=utf8mb4 or leave the parameter out."
                )
        return url

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        ssl = {arg: env[var] for var, arg in SSL_VARIABLES.items() if env.get(var)}
        return {"connect_args": ssl} if ssl else {}

    def try_migration_lock(self, connection: Connection) -> bool:
        taken = connection.execute(
            text("SELECT GET_LOCK(:name, 0)"), {"name": migration_lock_name(connection)}
        ).scalar()
        connection.commit()
        return taken == 1

    def release_migration_lock(self, connection: Connection) -> None:
        connection.execute(
            text("SELECT RELEASE_LOCK(:name)"), {"name": migration_lock_name(connection)}
        )
        connection.commit()

    def migration_lock_holder(self, connection: Connection) -> str | None:
        holder = connection.execute(
            text("SELECT IS_USED_LOCK(:name)"), {"name": migration_lock_name(connection)}
        ).scalar()
        if holder is None:
            connection.commit()
            return None
        row = connection.execute(
            text(
                "SELECT HOST, USER, TIME, INFO FROM information_schema.PROCESSLIST WHERE ID = :id"
            ),
            {"id": holder},
        ).first()
        connection.commit()
        if row is None:
            return f"MySQL connection {holder} (grant PROCESS to see its host)"
        host, user, seconds, statement = row.tuple()
        doing = running(statement, seconds, active=statement is not None)
        return f"MySQL connection {holder} from {host} (user {user}){doing}"

    def triggers(self, connection: Connection) -> list[Trigger]:
        """MySQL triggers fire on one event each, always per row; the body is kept as written."""
        rows = connection.exec_driver_sql(
            "SELECT trigger_name, event_object_table, "
            "CONCAT(action_timing, ' ', event_manipulation), "
            "CONCAT('FOR EACH ', action_orientation, ' ', action_statement) "
            "FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        )
        return [tuple(row) for row in rows.tuples()]


def migration_lock_name(connection: Connection) -> str:
    """The GET_LOCK name of the current database's migration lock."""
    database = str(connection.execute(text("SELECT DATABASE()")).scalar())
    name = LOCK_NAME_PREFIX + database
    if len(name) > LOCK_NAME_LIMIT:
        name = LOCK_NAME_PREFIX + hashlib.sha256(database.encode()).hexdigest()[:40]
    return name
