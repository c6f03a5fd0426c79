"""JSON documents held as text: tags that keep a list, a model's MLmodel sent as a string."""

import json
from typing import TypeVar

T = TypeVar("T")


def parsed_as(text: str, kind: type[T]) -> T | None:
    """The value `text` holds when it is JSON of `kind` (list, dict); None when it is not JSON
    or is another kind, so that each caller can say what it expected there."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None
