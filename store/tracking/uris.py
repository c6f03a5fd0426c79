"""Artifact locations: joining POSIX paths onto URIs and making local paths absolute."""

import posixpath
import urllib.parse
from pathlib import Path

from store.common.errors import StoreError


def append_path(uri: str, *parts: str) -> str:
    """`uri` with `parts` appended to its path, keeping scheme, host and query.

    "s3://b/root?x=1" + "3" gives "s3://b/root/3?x=1"; a plain path is joined as a path.
    """
    suffix = ""
    for part in parts:
        suffix = _join(suffix, part)
    parsed = urllib.parse.urlparse(uri)
    if ".." in urllib.parse.unquote(parsed.query):
        raise StoreError(f"Invalid artifact location {uri!r}: its query may not contain '..'.")
    if not parsed.scheme:
        return _join(uri, suffix)
    prefix = ""
    if not parsed.path.startswith("/"):
        # urlunparse would make a relative path absolute, so keep "scheme:" aside.
        prefix = parsed.scheme + ":"
        parsed = parsed._replace(scheme="")
    return prefix + urllib.parse.urlunparse(parsed._replace(path=_join(parsed.path, suffix)))


def resolve_local(uri: str) -> str:
    """A relative local path (or relative file: URI) made absolute against the working dir."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme not in ("", "file") or (parsed.scheme == "file" and parsed.netloc):
        return uri
    path = parsed.path if parsed.scheme else uri
    if Path(path).is_absolute():
        return uri
    absolute = (Path.cwd() / path).as_posix()
    if not parsed.scheme:
        return absolute
    return urllib.parse.urlunsplit(("file", "", absolute, parsed.query, parsed.fragment))


def _join(prefix: str, suffix: str) -> str:
    if not prefix:
        return suffix
    return posixpath.join(prefix, suffix.lstrip("/"))
