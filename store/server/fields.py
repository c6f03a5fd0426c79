"""MLflow message fields that several endpoint groups share, read into store entities."""

from store.entities import Tag
from store.server.messages import Message

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
