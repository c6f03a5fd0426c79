"""Search filters and order_by clauses: one parser for every store, driven by a Grammar.

`parse_filter` and `parse_order_by` turn text into `Comparison` and `OrderBy` values checked
against a store's `Grammar`; `sql.compare` turns a comparison into a SQLAlchemy condition.
Each domain keeps its own grammar and translators beside its store (`store.tracking.run_search`,
`store.registry.search`, `store.traces.search`, ...).
"""

from store.search.grammar import Entity, Field, Grammar, ValueKind
from store.search.parser import (
    Comparison,
    OrderBy,
    parse_filter,
    parse_order_by,
    parse_order_by_list,
)

__all__ = [
    "Comparison",
    "Entity",
    "Field",
    "Grammar",
    "OrderBy",
    "ValueKind",
    "parse_filter",
    "parse_order_by",
    "parse_order_by_list",
]
