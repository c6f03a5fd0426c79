"""The one check every artifact path from a client passes before it touches a destination.

A path is relative to the destination's root. After undoing percent-encoding (repeatedly, so
that `%252e%252e` cannot hide `..` behind a second layer) it may not be a `file:` URI (MLflow
reads one as a local path and refuses it), be absolute, name a parent (`..`), use a backslash (a
separator on Windows), or hold a control character such as NUL. Symlinks are the local
destination's own check, since only it can resolve them.
"""

import re
import urllib.parse
from pathlib import PurePosixPath, PureWindowsPath

from store.common.errors import StoreError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_DECODES = 10


def safe_relative_path(path: str) -> str:
    """`path` decoded and checked; "" for the root. Raises INVALID_PARAMETER_VALUE."""
    decoded = _decode(path)
    if (
        urllib.parse.urlparse(decoded).scheme == "file"
        or _CONTROL.search(decoded)
        or "\\" in decoded
        or "#" in decoded
        or PurePosixPath(decoded).is_absolute()
        or PureWindowsPath(decoded).is_absolute()
        or PureWindowsPath(decoded).drive
        or ".." in decoded.split("/")
    ):
        raise invalid_path(path)
    parts = [part for part in decoded.split("/") if part not in ("", ".")]
    return "/".join(parts)


def safe_file_name(name: str) -> str:
    """A single path component (a file name a client names), checked like a path."""
    checked = safe_relative_path(name)
    if not checked or "/" in checked:
        raise invalid_path(name)
    return checked


def invalid_path(path: str) -> StoreError:
    shown = path if len(path) <= 200 else path[:197] + "..."
    return StoreError(
        f"Invalid path {shown!r}: an artifact path must be relative, without '..', "
        "backslashes or control characters; give a path inside the artifact root."
    )


def _decode(path: str) -> str:
    for _ in range(_MAX_DECODES):
        decoded = urllib.parse.unquote(path)
        if decoded == path:
            return path
        path = decoded
    raise invalid_path(path)
