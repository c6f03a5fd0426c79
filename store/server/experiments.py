"""Experiment endpoints: create, read, search, rename, delete, restore and tag."""

import urllib.parse

from store.common.errors import StoreError, not_found
from store.server.fields import VIEW_TYPES, key_values, page, search_options
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.stores import Stores


def create_experiment(stores: Stores, message: Message) -> Result:
    location = message.text("artifact_location") or None
    if location is not None:
        check_location(location)
    experiment_id = stores.tracking.create_experiment(
        message.required_text("name"), location, key_values(message, "tags")
    )
    return {"experiment_id": experiment_id}


def check_location(location: str) -> None:
    """Refuse an artifact location whose URL could point the server somewhere unintended."""
    parts = urllib.parse.urlparse(location)
    if parts.fragment or parts.params:
        raise StoreError(
            f"The artifact location '{location}' has a fragment or params; give a plain URI."
        )
    if ".." in urllib.parse.unquote(parts.query).split("/"):
        raise StoreError(
            f"The query of artifact location '{location}' walks up with '..'; remove it."
        )


def get_experiment(stores: Stores, message: Message) -> Result:
    experiment = stores.tracking.get_experiment(message.required_text("experiment_id"))
    return {"experiment": experiment.to_json()}


def get_experiment_by_name(stores: Stores, message: Message) -> Result:
    name = message.required_text("experiment_name")
    experiment = stores.tracking.get_experiment_by_name(name)
    if experiment is None:
        raise not_found(
            f"Could not find experiment with name '{name}'. Check the name, or create the "
            "experiment first."
        )
    return {"experiment": experiment.to_json()}


def search_experiments(stores: Stores, message: Message) -> Result:
    found = stores.tracking.search_experiments(
        view_type=message.enum("view_type", VIEW_TYPES), **search_options(message)
    )
    return page([e.to_json() for e in found.items], found.next_page_token, "experiments")


def delete_experiment(stores: Stores, message: Message) -> Result:
    stores.tracking.delete_experiment(message.required_text("experiment_id"))
    return None


def restore_experiment(stores: Stores, message: Message) -> Result:
    stores.tracking.restore_experiment(message.required_text("experiment_id"))
    return None


def update_experiment(stores: Stores, message: Message) -> Result:
    stores.tracking.rename_experiment(
        message.required_text("experiment_id"), message.required_text("new_name")
    )
    return None


def set_experiment_tag(stores: Stores, message: Message) -> Result:
    stores.tracking.set_experiment_tag(
        message.required_text("experiment_id"),
        message.required_text("key"),
        message.text("value", ""),
    )
    return None


ENDPOINTS = [
    Endpoint("POST", "/experiments/create", create_experiment),
    Endpoint("GET", "/experiments/get", get_experiment),
    Endpoint("GET", "/experiments/get-by-name", get_experiment_by_name),
    Endpoint("POST", "/experiments/search", search_experiments),
    Endpoint("GET", "/experiments/search", search_experiments),
    Endpoint("POST", "/experiments/delete", delete_experiment),
    Endpoint("POST", "/experiments/restore", restore_experiment),
    Endpoint("POST", "/experiments/update", update_experiment),
    Endpoint("POST", "/experiments/set-experiment-tag", set_experiment_tag),
]
