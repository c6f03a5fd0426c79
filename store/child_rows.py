"""Reading the key/value child rows (tags, params, metadata, aliases) of many owners at once."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from store.tracking.reading import chunks


def pairs_by_owner(
    session: Session, table: Table, owner: str, key: str, value: str, owners: Sequence[Any]
) -> defaultdict[Any, dict[Any, Any]]:
    """`{owner: {key: value}}` for the rows of `table` whose `owner` column is in `owners`,
    one query per chunk of owners."""
    found: defaultdict[Any, dict[Any, Any]] = defaultdict(dict)
    columns = (table.c[owner], table.c[key], table.c[value])
    for part in chunks(list(owners)):
        for row_owner, row_key, row_value in session.execute(
            select(*columns).where(table.c[owner].in_(part))
        ):
            found[row_owner][row_key] = row_value
    return found
