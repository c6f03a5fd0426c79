"""Microsoft SQL Server through pyodbc, with Microsoft's ODBC driver or FreeTDS."""

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import URL

from compat.dialects.base import Dialect

# Tried in this order when the URL names no driver; the first one installed is used.
PREFERRED_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")
DRIVER_VARIABLE = "TRACKSTORE_MSSQL_ODBC_DRIVER"


class MSSQL(Dialect):
    name = "mssql"
    max_index_key_bytes = 1700
    lock_method = "applock"
    upsert_method = "merge"
    backup_method = "backup_database"
    max_bind_params = 2000
    paging_needs_order_by = True
    admin_database = "master"
    permanent_error_texts: ClassVar[tuple[str, ...]] = ("login failed", "cannot open database")

    def prepare_url(self, url: URL, env: Mapping[str, str]) -> URL:
        if url.get_driver_name() != "pyodbc" or "odbc_connect" in url.query:
            return url
        query = dict(url.query)
        if "driver" not in query:
            query["driver"] = env.get(DRIVER_VARIABLE) or installed_driver()
        if query["driver"] == "FreeTDS":
            query.setdefault("TDS_Version", "7.4")
        else:
            query.setdefault("TrustServerCertificate", "yes")
        return url.set(query=query)

    def drop_database_sql(self, name: str) -> list[str]:
        return [
            f"IF DB_ID('{name}') IS NOT NULL "
            f"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
            f"DROP DATABASE IF EXISTS [{name}]",
        ]

    def engine_options(self, url: URL, env: Mapping[str, str]) -> dict[str, Any]:
        return {"fast_executemany": True} if url.get_driver_name() == "pyodbc" else {}


def installed_driver() -> str:
    """The best SQL Server ODBC driver unixODBC knows of, or the preferred name if none is."""
    import pyodbc

    installed = set(pyodbc.drivers())
    return next((name for name in PREFERRED_DRIVERS if name in installed), PREFERRED_DRIVERS[0])
