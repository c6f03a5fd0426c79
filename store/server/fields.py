"""MLflow message fields that several endpoint groups share, read into store entities."""

from typing import Any

from store.server.messages import Message
from store.tracking.entities import Tag

VIEW_TYPES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}


def key_values(message: Message, name: str) -> list[Tag]:
    """A repeated {key, value} field; a value left out is the empty string, as in protobuf."""
    return [
        Tag(item.required_text("key"), item.text("value", "")) for item in message.objects(name)
    ]


def page(items: list[object], token: str | None, name: str) -> dict[str, object]:
    """A search response: the JSON items under `name`, and the next page token when one exists."""
    body: dict[str, object] = {name: items} if items else {}
    if token:
        body["next_page_token"] = token
    return body


def search_options(message: Message, page_limit: int | None = None) -> dict[str, Any]:
    """The filter, order, page token and page size of a search request, as store keywords; a
    page size left out leaves the store's default, which is MLflow's. `page_limit` is the
    largest page size the route's server check allows (None: the store alone checks)."""
    max_results = (
        message.integer("max_results")
        if page_limit is None
        else message.bounded_integer("max_results", page_limit)
    )
    options: dict[str, Any] = {
        "filter_string": message.text("filter") or None,
        "order_by": message.texts("order_by") or None,
        "page_token": message.text("page_token") or None,
    }
    if max_results is not None:
        options["max_results"] = max_results
    return options
