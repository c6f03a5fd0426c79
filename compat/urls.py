"""Parsing database URIs and showing them without their passwords."""

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from compat.errors import TrackstoreError

_EXAMPLES = "sqlite:///path.db, postgresql://user@host/db or mysql+pymysql://user@host/db"
_CREDENTIALS = re.compile(r"(//[^/:@\s]*:)[^@\s]*@")


def parse_url(uri: str) -> URL:
    """Parse `uri`, turning SQLAlchemy's complaint into a sentence that shows good examples."""
    try:
        return make_url(uri)
    except ArgumentError:
        raise TrackstoreError(
            f"'{mask_text(uri)}' is not a database URI; give one like {_EXAMPLES}."
        ) from None


def mask_url(url: URL | str) -> str:
    """The URL as text with its password replaced by ***, safe for logs and errors."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return mask_text(url)


def mask_text(text: str, url: URL | None = None) -> str:
    """`text` with every password in it, from `url` or from a `//user:password@` part, masked."""
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return _CREDENTIALS.sub(r"\1***@", text)
