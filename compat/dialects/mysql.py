"""MySQL and MariaDB: no transactional DDL, case-insensitive equality, SSL settings."""

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import URL

from compat.dialects.base import Dialect

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
    lock_method = "get_lock"
    upsert_method = "on_duplicate_key"
    backup_method = "mysqldump"
    max_bind_params = 65535
    permanent_error_texts: ClassVar[tuple[str, ...]] = ("access denied", "unknown database")

    def create_database_sql(self, name: str) -> str:
        return f"CREATE DATABASE {name} CHARACTER SET utf8mb4"

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        ssl = {arg: env[var] for var, arg in SSL_VARIABLES.items() if env.get(var)}
        return {"connect_args": ssl} if ssl else {}
