"""One small class per database, registered by name; see `base.Dialect` for the flags."""

from compat.dialects import mssql, mysql, postgresql, sqlite
from compat.dialects.base import Dialect, dialect_for

__all__ = ["Dialect", "dialect_for", "mssql", "mysql", "postgresql", "sqlite"]
