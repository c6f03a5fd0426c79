"""What a search may name and how: the entities, their keys, and each key's comparators.

A `Grammar` is data, so each store (runs, experiments, registered models, logged models,
traces) states its own and shares one parser. An entity either has a fixed set of `fields`
(attributes) or accepts `any_key` (metrics, params, tags).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

EQUALITY = frozenset({"=", "!="})
ORDERING = frozenset({"<", "<=", ">", ">="})
PATTERN = frozenset({"LIKE", "ILIKE"})
MEMBERSHIP = frozenset({"IN", "NOT IN"})
COMPARATORS = EQUALITY | ORDERING | PATTERN | MEMBERSHIP

NUMERIC_COMPARATORS = EQUALITY | ORDERING
STRING_COMPARATORS = EQUALITY | PATTERN
LIST_COMPARATORS = STRING_COMPARATORS | MEMBERSHIP


class ValueKind(Enum):
    STRING = "a quoted string"
    NUMBER = "a number"


@dataclass(frozen=True)
class Field:
    """How one key may be compared, and whether it may be searched and ordered by."""

    kind: ValueKind
    comparators: frozenset[str]
    searchable: bool = True
    orderable: bool = True

    @property
    def takes_lists(self) -> bool:
        return bool(self.comparators & MEMBERSHIP)


STRING = Field(ValueKind.STRING, STRING_COMPARATORS)
NUMBER = Field(ValueKind.NUMBER, NUMERIC_COMPARATORS)
STRING_OR_LIST = Field(ValueKind.STRING, LIST_COMPARATORS)


@dataclass(frozen=True)
class Entity:
    """A kind of thing a search names before the dot, such as `metrics` in `metrics.acc`."""

    name: str
    aliases: frozenset[str]
    fields: Mapping[str, Field] = field(default_factory=dict)
    any_key: Field | None = None
    key_aliases: Mapping[str, str] = field(default_factory=dict)
    orderable: bool = True

    def spellings(self) -> frozenset[str]:
        return self.aliases | {self.name}


class ClauseStyle(Enum):
    """How MLflow's refusal of a malformed filter shows it, which differs by search."""

    QUOTED = "each invalid clause quoted: 'metrics.m', '>'"
    PLAIN = "each invalid clause bare: name, ="
    WHOLE = "the whole filter, with the shape it must have"


@dataclass(frozen=True)
class Wording:
    """MLflow's sentences for a refused search of one kind, which lead trackstore's own.

    Each is a format string (`{entity}`, `{key}`) holding MLflow's lists of valid names as it
    prints them; None where MLflow has no such sentence and trackstore's stands alone."""

    clauses: ClauseStyle = ClauseStyle.PLAIN
    unknown_entity: str | None = None
    unknown_attribute: str | None = None
    unknown_order_key: str | None = None


@dataclass(frozen=True)
class Grammar:
    """The entities of one search; a name without a dot belongs to `default_entity`."""

    entities: tuple[Entity, ...]
    default_entity: str = "attribute"
    wording: Wording = Wording()

    def entity(self, spelling: str) -> Entity | None:
        return next((e for e in self.entities if spelling in e.spellings()), None)

    def names(self) -> list[str]:
        return [entity.name for entity in self.entities]
