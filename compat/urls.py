"""Parsing database URIs and showing them without their passwords."""

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from compat.errors import TrackstoreError

_EXAMPLES = "sqlite:///path.db, postgresql://user@host/db or mysql+pymysql://user@host/db"
# `//user:password@` up to the last `@` before the path, so an unencoded `@` in the password
# is masked with the rest of it.
_CREDENTIALS = re.compile(r"(//[^/:@\s]*:)[^/?#\s]*@")
_AUTHORITY = re.compile(r"^[\w+.-]+://([^/?#]*)")


def parse_url(uri: str) -> URL:
    """Parse `uri`, turning SQLAlchemy's complaint into a sentence that shows good examples."""
    authority = _AUTHORITY.match(uri)
    if authority is not None:
        _check_authority(uri, authority.group(1))
    try:
        return make_url(uri)
    except ArgumentError:
        raise TrackstoreError(
            f"'{mask_text(uri)}' is not a database URI; give one like {_EXAMPLES}."
        ) from None
    except ValueError:
        raise TrackstoreError(
            f"The port in '{mask_text(uri)}' is not a number; give the port as digits after "
            "the host (host:5432), or leave it out for the default."
        ) from None


def _check_authority(uri: str, authority: str) -> None:
    """Refuse what SQLAlchemy would misread as another host: a second `@`, an open `[`."""
    if authority.count("@") > 1:
        raise TrackstoreError(
            f"The user or password in '{mask_text(uri)}' holds an '@', which ends the "
            "credentials early; write each '@' in them as %40."
        )
    host = authority.rpartition("@")[2]
    if host.count("[") != host.count("]"):
        raise TrackstoreError(
            f"The host in '{mask_text(uri)}' opens an IPv6 bracket it does not close; write "
            "the address as [::1] or [::1]:5432."
        )


def mask_url(url: URL | str) -> str:
    """The URL as text with its password replaced by ***, safe for logs and errors."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return mask_text(url)


def mask_text(text: str, url: URL | None = None) -> str:
    """`text` with every `//user:password@` part, and `url`'s password where it stands as one
    (`:password@`, `password=...`), masked; the same text elsewhere in `text` is left alone."""
    if url is not None and url.password:
        secret = re.escape(str(url.password))
        text = re.sub(rf":{secret}@", ":***@", text)
        text = re.sub(rf"(password\s*=\s*['\"]?){secret}", r"\1***", text, flags=re.IGNORECASE)
    return _CREDENTIALS.sub(r"\1***@", text)
