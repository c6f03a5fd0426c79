"""Logged model endpoints (MLflow 3): create, finalize, read, search, tag, params, delete."""

from typing import Any

from store.server.fields import key_values, page
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.stores import Stores

STATUSES = {
    "LOGGED_MODEL_STATUS_UNSPECIFIED": 0,
    "LOGGED_MODEL_PENDING": 1,
    "LOGGED_MODEL_READY": 2,
    "LOGGED_MODEL_UPLOAD_FAILED": 3,
}


def create_logged_model(stores: Stores, message: Message) -> Result:
    model = stores.logged_models.create_logged_model(
        experiment_id=message.required_text("experiment_id"),
        name=message.text("name") or None,
        source_run_id=message.text("source_run_id") or None,
        tags=key_values(message, "tags"),
        params=key_values(message, "params"),
        model_type=message.text("model_type") or None,
    )
    return {"model": model.to_json()}


def get_logged_model(stores: Stores, message: Message) -> Result:
    model = stores.logged_models.get_logged_model(message.required_text("model_id"))
    return {"model": model.to_json()}


def finalize_logged_model(stores: Stores, message: Message) -> Result:
    status = message.enum("status", STATUSES)
    if status is None:
        raise message.missing("status")
    model = stores.logged_models.finalize_logged_model(message.required_text("model_id"), status)
    return {"model": model.to_json()}


def delete_logged_model(stores: Stores, message: Message) -> Result:
    stores.logged_models.delete_logged_model(message.required_text("model_id"))
    return None


def log_logged_model_params(stores: Stores, message: Message) -> Result:
    stores.logged_models.log_logged_model_params(
        message.required_text("model_id"), key_values(message, "params")
    )
    return None


def set_logged_model_tags(stores: Stores, message: Message) -> Result:
    stores.logged_models.set_logged_model_tags(
        message.required_text("model_id"), key_values(message, "tags")
    )
    return None


def delete_logged_model_tag(stores: Stores, message: Message) -> Result:
    stores.logged_models.delete_logged_model_tag(
        message.required_text("model_id"), message.required_text("tag_key")
    )
    return None


def search_logged_models(stores: Stores, message: Message) -> Result:
    found = stores.logged_models.search_logged_models(
        experiment_ids=message.required_texts("experiment_ids"),
        filter_string=message.text("filter") or None,
        datasets=[_dataset(item) for item in message.objects("datasets")] or None,
        max_results=message.integer("max_results") or None,
        order_by=[_order(item) for item in message.objects("order_by")] or None,
        page_token=message.text("page_token") or None,
    )
    return page([model.to_json() for model in found.items], found.next_page_token, "models")


def _dataset(item: Message) -> dict[str, Any]:
    return {
        "dataset_name": item.required_text("dataset_name"),
        "dataset_digest": item.text("dataset_digest") or None,
    }


def _order(item: Message) -> dict[str, Any]:
    return {
        "field_name": item.required_text("field_name"),
        "ascending": item.boolean("ascending", default=True),
        "dataset_name": item.text("dataset_name") or None,
        "dataset_digest": item.text("dataset_digest") or None,
    }


ENDPOINTS = [
    Endpoint("POST", "/logged-models", create_logged_model),
    Endpoint("POST", "/logged-models/search", search_logged_models),
    Endpoint("GET", "/logged-models/{model_id}", get_logged_model),
    Endpoint("PATCH", "/logged-models/{model_id}", finalize_logged_model),
    Endpoint("DELETE", "/logged-models/{model_id}", delete_logged_model),
    Endpoint("POST", "/logged-models/{model_id}/params", log_logged_model_params),
    Endpoint("PATCH", "/logged-models/{model_id}/tags", set_logged_model_tags),
    Endpoint("DELETE", "/logged-models/{model_id}/tags/{tag_key}", delete_logged_model_tag),
]
