"""Parsing search filters and order_by clauses into small ASTs, checked against a Grammar.

    filter     := comparison ("AND" comparison)*        (empty or blank: no conditions)
    comparison := name comparator value
    comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value      := 'string' | "string" | number | "(" string ("," string)* [","] ")"
    order_by   := name ["ASC" | "DESC"]

Keywords are case-insensitive. Every refusal is a StoreError (INVALID_PARAMETER_VALUE) that
says what is wrong; nothing here touches a database.
"""

import math
from dataclasses import dataclass

from store.common.errors import StoreError
from store.search.grammar import MEMBERSHIP, ClauseStyle, Entity, Field, Grammar, ValueKind
from store.search.lexer import Kind, Token, quoted_content, split_name, tokenize, unquote

Value = str | int | float | tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """One condition: `entity.key comparator value`, with canonical entity, key and comparator."""

    entity: str
    key: str
    comparator: str
    value: Value


@dataclass(frozen=True)
class OrderBy:
    entity: str
    key: str
    ascending: bool = True


def parse_filter(text: str | None, grammar: Grammar) -> list[Comparison]:
    """The AND-ed comparisons of a filter string; [] for None or blank text."""
    if not text or not text.strip():
        return []
    stream = _Stream(text, tokenize(text), grammar.wording.clauses)
    comparisons = [_comparison(stream, grammar)]
    while stream.peek().kind is not Kind.END:
        word = stream.next()
        if word.keyword() != "AND":
            stream.clause_start = stream.index - 1
            raise stream.error(word, "expected AND between comparisons (OR is not supported)")
        comparisons.append(_comparison(stream, grammar))
    return comparisons


def parse_order_by(text: str, grammar: Grammar) -> OrderBy:
    """One order_by clause such as "metrics.acc DESC"."""
    stream = _Stream(text, tokenize(text))
    name = stream.next()
    if name.kind is not Kind.NAME:
        raise stream.error(name, "expected the name of a column to order by")
    ascending = True
    direction = stream.next()
    if direction.kind is not Kind.END:
        if direction.keyword() not in ("ASC", "DESC"):
            raise stream.error(direction, "expected ASC or DESC after the column")
        ascending = direction.keyword() == "ASC"
        end = stream.next()
        if end.kind is not Kind.END:
            raise stream.error(end, "expected nothing after ASC or DESC")
    entity, key, found = _resolve(name.text, grammar, text, ordering=True)
    if not entity.orderable or (found is not None and not found.orderable):
        raise StoreError(f"Invalid order_by clause {text!r}: cannot order by {name.text}.")
    return OrderBy(entity.name, key, ascending)


def parse_order_by_list(clauses: list[str] | None, grammar: Grammar) -> list[OrderBy]:
    """Each clause parsed; a column named twice is refused."""
    parsed = [parse_order_by(clause, grammar) for clause in clauses or []]
    seen: set[tuple[str, str]] = set()
    for order in parsed:
        if (order.entity, order.key) in seen:
            raise StoreError(f"order_by names {order.entity} '{order.key}' more than once.")
        seen.add((order.entity, order.key))
    return parsed


class _Stream:
    def __init__(self, text: str, tokens: list[Token], clauses: ClauseStyle | None = None) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        # How MLflow shows a malformed filter (None: not a filter), and where the clause being
        # read starts.
        self.clauses = clauses
        self.clause_start = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def error(self, token: Token, problem: str) -> StoreError:
        found = "the end" if token.kind is Kind.END else repr(token.text)
        ours = (
            f"Invalid search expression {self.text!r}: {problem}, found {found} at position "
            f"{token.position}."
        )
        if self.clauses is None:
            return StoreError(ours)
        return StoreError(f"{self._mlflow_sentence()} {ours}")

    def _mlflow_sentence(self) -> str:
        """MLflow's refusal of this filter: the clauses from the one that failed on (as its
        SQL tokenizer would split them), or the whole filter."""
        if self.clauses is ClauseStyle.WHOLE:
            return (
                f"Invalid filter string: '{self.text}'. Expected a list of comparisons separated "
                "by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01')."
            )
        rest = [t.text for t in self.tokens[self.clause_start :] if t.kind is not Kind.END]
        rest = rest or [self.text]
        shown = [f"'{text}'" for text in rest] if self.clauses is ClauseStyle.QUOTED else rest
        return f"Invalid clause(s) in filter string: {', '.join(shown)}."


def _comparison(stream: _Stream, grammar: Grammar) -> Comparison:
    stream.clause_start = stream.index
    name = stream.next()
    if name.kind is not Kind.NAME or name.keyword() in ("AND", "NOT"):
        raise stream.error(name, "expected a name such as metrics.acc or params.`lr`")
    comparator = _comparator(stream)
    value = _value(stream)
    entity, key, found = _resolve(name.text, grammar, stream.text)
    field = found or entity.any_key
    assert field is not None
    if not field.searchable:
        raise StoreError(
            f"Invalid search expression {stream.text!r}: {name.text} is not searchable."
        )
    return Comparison(entity.name, key, comparator, _checked(value, comparator, field, name.text))


def _comparator(stream: _Stream) -> str:
    token = stream.next()
    if token.kind is Kind.OPERATOR and token.text in ("=", "!=", "<", "<=", ">", ">="):
        return token.text
    word = token.keyword()
    if word in ("LIKE", "ILIKE", "IN"):
        return word
    if word == "NOT" and stream.peek().keyword() == "IN":
        stream.next()
        return "NOT IN"
    raise stream.error(
        token, "expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)"
    )


def _value(stream: _Stream) -> Token | tuple[str, ...]:
    token = stream.next()
    if token.kind in (Kind.STRING, Kind.NUMBER) or token.is_quoted_name:
        return token
    if token.kind is Kind.LPAREN:
        return _list(stream)
    if token.kind is Kind.NAME:
        raise stream.error(token, "expected a value; quote string values, e.g. 'my-value'")
    raise stream.error(token, "expected a value")


def _list(stream: _Stream) -> tuple[str, ...]:
    items: list[str] = []
    while True:
        token = stream.next()
        if token.kind is Kind.RPAREN and items:
            return tuple(items)
        if token.kind is not Kind.STRING and not token.is_quoted_name:
            raise stream.error(token, "expected a non-empty list of quoted strings")
        items.append(_string(token))
        separator = stream.next()
        if separator.kind is Kind.RPAREN:
            return tuple(items)
        if separator.kind is not Kind.COMMA:
            raise stream.error(separator, "expected a comma or ')' in the list")


def _string(token: Token) -> str:
    return quoted_content(token.text, "'" if token.kind is Kind.STRING else '"') or ""


def _resolve(
    name: str, grammar: Grammar, text: str, ordering: bool = False
) -> tuple[Entity, str, Field | None]:
    """The entity, canonical key and fixed field (None for any-key entities) of a name, from
    a filter or (`ordering`) an order_by clause."""
    prefix, rest = split_name(name)
    spelling = grammar.default_entity if prefix is None else unquote(prefix)
    entity = grammar.entity(spelling)
    wording = grammar.wording
    if entity is None:
        raise StoreError(
            _led(wording.unknown_entity, entity=spelling)
            + f"Invalid search expression {text!r}: unknown entity {spelling!r}; "
            f"use one of {', '.join(grammar.names())}."
        )
    key = unquote(rest)
    if not key:
        raise StoreError(f"Invalid search expression {text!r}: {name!r} names no key.")
    if entity.any_key is not None:
        return entity, key, None
    key = entity.key_aliases.get(key, key)
    if key not in entity.fields:
        mlflow_sentence = wording.unknown_order_key if ordering else None
        raise StoreError(
            _led(mlflow_sentence or wording.unknown_attribute, key=key)
            + f"Invalid search expression {text!r}: unknown {entity.name} {key!r}; "
            f"use one of {', '.join(sorted(entity.fields))}."
        )
    return entity, key, entity.fields[key]


def _led(sentence: str | None, **names: str) -> str:
    """MLflow's sentence, filled in, to lead trackstore's; "" when MLflow has none."""
    if not sentence:
        return ""
    for name, value in names.items():
        sentence = sentence.replace("{" + name + "}", value)
    return sentence + ". "


def _checked(value: Token | tuple[str, ...], comparator: str, field: Field, name: str) -> Value:
    """The value of a comparison, once it suits the field and the comparator."""
    if comparator not in field.comparators:
        allowed = ", ".join(sorted(field.comparators))
        raise StoreError(f"Invalid comparator '{comparator}' for {name}; use one of: {allowed}.")
    if comparator in MEMBERSHIP or isinstance(value, tuple):
        if not isinstance(value, tuple) or comparator not in MEMBERSHIP:
            raise StoreError(
                f"Invalid comparison on {name}: IN and NOT IN need a parenthesised list of "
                "quoted strings, and a list needs IN or NOT IN."
            )
        return value
    if field.kind is ValueKind.NUMBER:
        if value.kind is not Kind.NUMBER:
            raise StoreError(f"Invalid value {value.text} for {name}: expected a number.")
        return _number(value.text)
    if value.kind is Kind.NUMBER:
        raise StoreError(
            f"Invalid value {value.text} for {name}: expected a quoted string, e.g. 'my-value'."
        )
    return _string(value)


def _number(text: str) -> int | float:
    """A number literal; one beyond a 64-bit integer or a double is refused, not sent."""
    try:
        number: int | float = int(text)
    except ValueError:
        number = float(text)
    if math.isinf(number) or (isinstance(number, int) and not -(2**63) <= number < 2**63):
        raise StoreError(f"Invalid number {text}: it must fit a 64-bit integer or a double.")
    return number
