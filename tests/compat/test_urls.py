"""URIs: parsed into one sentence when unreadable, shown without their passwords."""

import pytest
from sqlalchemy.engine import make_url

from compat import TrackstoreError
from compat.urls import mask_text, mask_url, parse_url


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://u:pw@host:abc/db", "The port in 'postgresql://u:***@host:abc/db' is not"),
        ("postgresql://u@[::1/db", "opens an IPv6 bracket it does not close"),
        ("postgresql://u:se@cret@host/db", "holds an '@'"),
    ],
)
def test_unreadable_uri_is_one_sentence(uri: str, expected: str) -> None:
    with pytest.raises(TrackstoreError) as refused:
        parse_url(uri)
    message = str(refused.value)
    assert expected in message
    assert "cret" not in message and "pw" not in message


def test_encoded_at_and_ipv6_parse() -> None:
    assert parse_url("postgresql://u:se%40cret@host/db").password == "se@cret"
    assert parse_url("postgresql://u@[::1]:5432/db").port == 5432


def test_unencoded_at_in_password_is_masked_to_the_last_at() -> None:
    text = "could not reach postgresql://u:se@cret@host/db"
    assert mask_text(text) == "could not reach postgresql://u:***@host/db"
    assert mask_url("postgresql://u:se@cret@host/db") == "postgresql://u:***@host/db"


def test_only_the_password_in_the_url_is_masked() -> None:
    url = make_url("postgresql://admin:admin@host/admin")
    text = "role admin denied for postgresql://admin:admin@host/admin (password=admin)"
    assert mask_text(text, url) == (
        "role admin denied for postgresql://admin:***@host/admin (password=***)"
    )
