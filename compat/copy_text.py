"""Rows spelled in PostgreSQL's COPY text format.

COPY loads rows without the server parsing a statement per value, which is most of what a
thousand-row multi-row VALUES insert costs (see `Dialect.stages_rows_by_copy`).
"""

import io
import re
from collections.abc import Callable, Sequence
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_FIELDS: dict[type, Callable[[Any], str]] = {
    str: lambda value: value.translate(_ESCAPES) if _NEEDS_ESCAPE(value) else value,
    float: float.__repr__,
    int: int.__repr__,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
}


def copy_text(rows: Sequence[tuple[Any, ...]]) -> io.StringIO | None:
    """One line per row; None when a value has a type this module does not spell (bytes,
    dates, numpy numbers), so the caller sends the rows otherwise.
    """
    fields = _FIELDS
    try:
        lines = ["\t".join([fields[type(v)](v) for v in row]) for row in rows]
    except KeyError:
        return None
    lines.append("")
    return io.StringIO("\n".join(lines))
