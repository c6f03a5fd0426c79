"""Page tokens and pages: offsets a client hands back, opaque to it, as MLflow spells them.

A token is base64 of the JSON object {"offset": n}. Every store search reads one with
`offset_from_token`, fetches `max_results + 1` rows in a fixed order from that offset with
`fetch_page`, and returns a `Page`, whose token is present only when more rows exist.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from store.common.errors import StoreError

T = TypeVar("T")
R = TypeVar("R")

MAX_RESULTS_THRESHOLD = 50_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the token for the next one (None on the last page)."""

    items: list[T]
    next_page_token: str | None = None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def token_for_offset(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def offset_from_token(token: str | bytes | None) -> int:
    """The offset a page token carries; 0 when there is no token."""
    if not token:
        return 0
    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise _bad_token("could not base64-decode") from None
    try:
        offset = int(json.loads(decoded)["offset"])
    except (ValueError, TypeError, KeyError):
        raise _bad_token(f"decoded value={decoded!r}") from None
    if not 0 <= offset < 2**63:
        raise StoreError("Invalid page token: its offset is out of range; start without one.")
    return offset


def _bad_token(problem: str) -> StoreError:
    return StoreError(
        f"Invalid page token, {problem}. Pass back the next_page_token of the previous page "
        "unchanged."
    )


def check_max_results(max_results: int | None, *, allow_none: bool = False) -> None:
    """Refuse a page size MLflow refuses: missing (unless allowed), below 1, or above 50,000."""
    if max_results is None and allow_none:
        return
    if max_results is None or max_results < 1:
        problem = "be a positive integer"
    elif max_results > MAX_RESULTS_THRESHOLD:
        problem = f"be at most {MAX_RESULTS_THRESHOLD}"
    else:
        return
    raise StoreError(
        f"Invalid value {max_results} for parameter 'max_results' supplied. It must {problem}."
    )


def fetch_page(
    session: Session,
    stmt: Select[Any],
    order_by: Sequence[Any],
    offset: int,
    max_results: int | None,
    convert: Callable[[Any], R],
) -> Page[R]:
    """Run `stmt` in `order_by` order from `offset`, one page of `max_results` rows.

    The ORDER BY is always applied, so paging is deterministic and valid SQL on databases that
    accept OFFSET only after an ORDER BY (SQL Server). One extra row is fetched to learn whether
    a next page exists. `convert` turns each result row into the page's item.
    """
    stmt = stmt.order_by(*order_by)
    if offset:
        stmt = stmt.offset(offset)
    if max_results is not None:
        stmt = stmt.limit(max_results + 1)
    rows = session.execute(stmt).all()
    if max_results is None or len(rows) <= max_results:
        return Page([convert(row) for row in rows])
    return Page(
        [convert(row) for row in rows[:max_results]], token_for_offset(offset + max_results)
    )
