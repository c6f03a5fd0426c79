"""The dialect compatibility layer: everything that differs between the databases lives here."""

from compat.dialects import Dialect, dialect_for
from compat.engine import make_engine
from compat.errors import TrackstoreError
from compat.urls import mask_url

__all__ = ["Dialect", "TrackstoreError", "dialect_for", "make_engine", "mask_url"]
