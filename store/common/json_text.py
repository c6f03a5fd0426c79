"""JSON documents held as text: tags that keep a list, a model's MLmodel sent as a string."""

import json
from typing import Any, TypeVar

from store.common.errors import INVALID_STATE, StoreError

T = TypeVar("T")


def parsed_as(text: str, kind: type[T]) -> T | None:
    """The value `text` holds when it is JSON of `kind` (list, dict); None when it is not JSON
    or is another kind, so that each caller can say what it expected there."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None


def listed_in_tag(value: str | None, whose: str, before: str) -> list[Any]:
    """The entries of a tag that keeps a JSON list (`value`); none when it is unset or empty.

    A value that is not a JSON list is refused (INVALID_STATE) rather than overwritten, which
    would lose what it holds; `whose` names the tag and its owner, `before` what waits on it.
    """
    if not value:
        return []
    listed = parsed_as(value, list)
    if listed is None:
        raise StoreError(
            f"The {whose} is not a JSON list; delete the tag or set it to a JSON list before "
            f"{before}.",
            INVALID_STATE,
        )
    return listed
