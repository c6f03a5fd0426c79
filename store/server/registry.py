"""Model registry endpoints: registered models, model versions, their tags and aliases."""

from store.server.fields import key_values, page, search_options
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.sources import PROMPT_TAG, check_source
from store.server.stores import Stores
from store.tracking.entities import Tag

# The page sizes MLflow's server refuses above before its store sees the search.
MODELS_PAGE_LIMIT = 1000
VERSIONS_PAGE_LIMIT = 200_000


def create_registered_model(stores: Stores, message: Message) -> Result:
    model = stores.registry.create_registered_model(
        message.required_text("name"),
        tags=key_values(message, "tags"),
        description=message.text("description", ""),
    )
    return {"registered_model": model.to_json()}


def get_registered_model(stores: Stores, message: Message) -> Result:
    model = stores.registry.get_registered_model(message.required_text("name"))
    return {"registered_model": model.to_json()}


def rename_registered_model(stores: Stores, message: Message) -> Result:
    model = stores.registry.rename_registered_model(
        message.required_text("name"), message.required_text("new_name")
    )
    return {"registered_model": model.to_json()}


def update_registered_model(stores: Stores, message: Message) -> Result:
    model = stores.registry.update_registered_model(
        message.required_text("name"), message.text("description")
    )
    return {"registered_model": model.to_json()}


def delete_registered_model(stores: Stores, message: Message) -> Result:
    stores.registry.delete_registered_model(message.required_text("name"))
    return None


def search_registered_models(stores: Stores, message: Message) -> Result:
    found = stores.registry.search_registered_models(**search_options(message, MODELS_PAGE_LIMIT))
    return page([m.to_json() for m in found.items], found.next_page_token, "registered_models")


def get_latest_versions(stores: Stores, message: Message) -> Result:
    versions = stores.registry.get_latest_versions(
        message.required_text("name"), message.texts("stages") or None
    )
    return page([v.to_json() for v in versions], None, "model_versions")


def set_registered_model_tag(stores: Stores, message: Message) -> Result:
    stores.registry.set_registered_model_tag(message.required_text("name"), _tag(message))
    return None


def delete_registered_model_tag(stores: Stores, message: Message) -> Result:
    stores.registry.delete_registered_model_tag(
        message.required_text("name"), message.required_text("key")
    )
    return None


def create_model_version(stores: Stores, message: Message) -> Result:
    tags = key_values(message, "tags")
    source = message.required_text("source")
    # MLflow records a run id left out as "", and shows it so.
    run_id = message.text("run_id", "")
    model_id = message.text("model_id") or None
    is_prompt = any(tag.key == PROMPT_TAG for tag in tags)
    if not is_prompt:
        check_source(stores, source, run_id, model_id)
    version = stores.registry.create_model_version(
        message.required_text("name"),
        source,
        run_id=run_id,
        tags=tags,
        run_link=message.text("run_link") or None,
        description=message.text("description", ""),
        model_id=None if is_prompt else model_id,
    )
    return {"model_version": version.to_json()}


def get_model_version(stores: Stores, message: Message) -> Result:
    version = stores.registry.get_model_version(*_version_key(message))
    return {"model_version": version.to_json()}


def update_model_version(stores: Stores, message: Message) -> Result:
    version = stores.registry.update_model_version(
        *_version_key(message), description=message.text("description")
    )
    return {"model_version": version.to_json()}


def transition_model_version_stage(stores: Stores, message: Message) -> Result:
    version = stores.registry.transition_model_version_stage(
        *_version_key(message),
        stage=message.required_text("stage"),
        archive_existing_versions=message.boolean("archive_existing_versions"),
    )
    return {"model_version": version.to_json()}


def delete_model_version(stores: Stores, message: Message) -> Result:
    stores.registry.delete_model_version(*_version_key(message))
    return None


def get_model_version_download_uri(stores: Stores, message: Message) -> Result:
    """MLflow's server requires neither field here: its store refuses what is left out."""
    uri = stores.registry.get_model_version_download_uri(
        message.text("name", ""), message.text("version", "")
    )
    return {"artifact_uri": uri}


def search_model_versions(stores: Stores, message: Message) -> Result:
    found = stores.registry.search_model_versions(**search_options(message, VERSIONS_PAGE_LIMIT))
    return page([v.to_json() for v in found.items], found.next_page_token, "model_versions")


def set_model_version_tag(stores: Stores, message: Message) -> Result:
    stores.registry.set_model_version_tag(*_version_key(message), _tag(message))
    return None


def delete_model_version_tag(stores: Stores, message: Message) -> Result:
    stores.registry.delete_model_version_tag(*_version_key(message), message.required_text("key"))
    return None


def set_registered_model_alias(stores: Stores, message: Message) -> Result:
    stores.registry.set_registered_model_alias(
        message.required_text("name"),
        message.required_text("alias"),
        message.required_text("version"),
    )
    return None


def delete_registered_model_alias(stores: Stores, message: Message) -> Result:
    stores.registry.delete_registered_model_alias(
        message.required_text("name"), message.required_text("alias")
    )
    return None


def get_model_version_by_alias(stores: Stores, message: Message) -> Result:
    version = stores.registry.get_model_version_by_alias(
        message.required_text("name"), message.required_text("alias")
    )
    return {"model_version": version.to_json()}


def _version_key(message: Message) -> tuple[str, str]:
    return message.required_text("name"), message.required_text("version")


def _tag(message: Message) -> Tag:
    return Tag(message.required_text("key"), message.text("value", ""))


ENDPOINTS = [
    Endpoint("POST", "/registered-models/create", create_registered_model),
    Endpoint("GET", "/registered-models/get", get_registered_model),
    Endpoint("POST", "/registered-models/rename", rename_registered_model),
    Endpoint("PATCH", "/registered-models/update", update_registered_model),
    Endpoint("DELETE", "/registered-models/delete", delete_registered_model),
    Endpoint("GET", "/registered-models/search", search_registered_models),
    Endpoint("POST", "/registered-models/get-latest-versions", get_latest_versions),
    Endpoint("GET", "/registered-models/get-latest-versions", get_latest_versions),
    Endpoint("POST", "/registered-models/set-tag", set_registered_model_tag),
    Endpoint("DELETE", "/registered-models/delete-tag", delete_registered_model_tag),
    Endpoint("POST", "/registered-models/alias", set_registered_model_alias),
    Endpoint("DELETE", "/registered-models/alias", delete_registered_model_alias),
    Endpoint("GET", "/registered-models/alias", get_model_version_by_alias),
    Endpoint("POST", "/model-versions/create", create_model_version),
    Endpoint("GET", "/model-versions/get", get_model_version),
    Endpoint("PATCH", "/model-versions/update", update_model_version),
    Endpoint("POST", "/model-versions/transition-stage", transition_model_version_stage),
    Endpoint("DELETE", "/model-versions/delete", delete_model_version),
    Endpoint("GET", "/model-versions/get-download-uri", get_model_version_download_uri),
    Endpoint("GET", "/model-versions/search", search_model_versions),
    Endpoint("POST", "/model-versions/set-tag", set_model_version_tag),
    Endpoint("DELETE", "/model-versions/delete-tag", delete_model_version_tag),
]
