"""Splitting a search filter or order_by clause into tokens.

The spellings are those MLflow's clients send: names like `metrics.acc`, `tags."a b"` or
`` params.`x-y` ``; 'single-quoted' and "double-quoted" strings; numbers such as -1, 0.5 and
1e3; the comparators =, !=, <, <=, >, >=; parentheses and commas for lists. Keywords (AND,
LIKE, ILIKE, IN, NOT, ASC, DESC) arrive as NAME tokens and are recognised by the parser where
they may stand. Quoted text keeps its content as written between the outer quotes, as MLflow
keeps it (a doubled quote inside is not collapsed).
"""

import re
from dataclasses import dataclass
from enum import Enum

from store.common.errors import StoreError


class Kind(Enum):
    NAME = "name"
    STRING = "string"
    NUMBER = "number"
    OPERATOR = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    END = "end of input"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int

    @property
    def is_quoted_name(self) -> bool:
        """True for a name that is one double-quoted segment, which may also stand for a value."""
        return self.kind is Kind.NAME and quoted_content(self.text, '"') is not None

    def keyword(self) -> str | None:
        """The upper-cased word when this token is a bare word, else None."""
        if self.kind is Kind.NAME and _BARE_WORD.fullmatch(self.text):
            return self.text.upper()
        return None


_QUOTED = {"'": r"'(?:''|\\'|[^'])*'", '"': r'"(?:""|\\"|[^"])*"', "`": r"`(?:``|[^`])*`"}
_BARE_WORD = re.compile(r"[^\W\d]\w*")
_DOUBLE_QUOTED, _BACKTICKED = _QUOTED['"'], _QUOTED["`"]
_NAME_PART = rf"(?:[\w.]+|{_DOUBLE_QUOTED}|{_BACKTICKED})"
_PATTERNS = [
    (Kind.NUMBER, r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])"),
    (Kind.STRING, _QUOTED["'"]),
    (Kind.NAME, rf"{_NAME_PART}+"),
    (Kind.OPERATOR, r"!=|<=|>=|<>|==|=|<|>"),
    (Kind.LPAREN, r"\("),
    (Kind.RPAREN, r"\)"),
    (Kind.COMMA, r","),
]
_TOKEN = re.compile("|".join(f"(?P<{kind.name}>{pattern})" for kind, pattern in _PATTERNS))
_SPACE = re.compile(r"\s*")


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an END token; refuses characters no token can hold."""
    tokens: list[Token] = []
    position = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise StoreError(
                f"Invalid search expression {text!r}: cannot read it at position {position} "
                f"({text[position : position + 20]!r}); quote names with special characters "
                "in backticks and string values in single quotes."
            )
        kind = Kind[match.lastgroup]
        if kind is Kind.NAME and match.group().startswith(tuple("0123456789")):
            raise StoreError(
                f"Invalid search expression {text!r}: {match.group()!r} at position {position} "
                "is neither a number nor a name."
            )
        tokens.append(Token(kind, match.group(), position))
        position = _SPACE.match(text, match.end()).end()  # type: ignore[union-attr]
    tokens.append(Token(Kind.END, "", len(text)))
    return tokens


def quoted_content(text: str, quote: str) -> str | None:
    """The content of `text` when it is exactly one `quote`-quoted segment, else None."""
    match = re.fullmatch(_QUOTED[quote], text)
    return text[1:-1] if match else None


def unquote(text: str) -> str:
    """`text` without one layer of double quotes or backticks around all of it."""
    for quote in ('"', "`"):
        content = quoted_content(text, quote)
        if content is not None:
            return content
    return text


def split_name(text: str) -> tuple[str | None, str]:
    """A name split at its first dot outside quotes: (prefix, rest), or (None, text)."""
    position = 0
    while position < len(text):
        char = text[position]
        if char in '"`':
            match = re.compile(_QUOTED[char]).match(text, position)
            position = match.end() if match else len(text)
            continue
        if char == ".":
            return text[:position], text[position + 1 :]
        position += 1
    return None, text
