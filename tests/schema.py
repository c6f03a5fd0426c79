"""A comparable picture of a live schema, for tests: the product's own (`db check` uses it).

Two databases have the same schema when their snapshots are equal; the snapshot is plain data
so that pytest can print the difference.
"""

from migrations.inspect_schema import Snapshot, snapshot

__all__ = ["Snapshot", "snapshot"]
