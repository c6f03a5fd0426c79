"""Row lookups the registry, logged model and trace stores share."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Select, Table, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.common.paging import Page, fetch_page
from store.tracking.reading import chunks

T = TypeVar("T")


def pairs_by_owner(
    session: Session,
    table: Table,
    owner: str,
    key: str,
    value: str,
    owners: Sequence[Any],
    where: Sequence[ColumnElement[bool]] = (),
) -> defaultdict[Any, dict[Any, Any]]:
    """`{owner: {key: value}}` for the rows of `table` whose `owner` column is in `owners` (and
    that meet `where`), one query per chunk of owners."""
    found: defaultdict[Any, dict[Any, Any]] = defaultdict(dict)
    columns = (table.c[owner], table.c[key], table.c[value])
    for part in chunks(list(owners)):
        for row_owner, row_key, row_value in session.execute(
            select(*columns).where(*where, table.c[owner].in_(part))
        ):
            found[row_owner][row_key] = row_value
    return found


def load_page(
    session: Session,
    stmt: Select[Any],
    order_by: Sequence[Any],
    offset: int,
    max_results: int,
    load: Callable[[Session, Sequence[Row[Any]]], list[T]],
) -> Page[T]:
    """One page of `stmt`'s rows (see `store.common.paging.fetch_page`), made entities by `load`."""
    page = fetch_page(session, stmt, order_by, offset, max_results, _row)
    return Page(load(session, page.items), page.next_page_token)


def _row(row: Row[Any]) -> Row[Any]:
    return row
