"""Searching registered models and model versions on every backend: filters, order, pages."""

import time
import uuid

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE
from store.registry.store import RegistryStore
from store.tracking.entities import Tag
from store.tracking.store import TrackingStore
from tests.store.expect import refused

PROMPT = Tag("mlflow.prompt.is_prompt", "true")


@pytest.fixture(scope="module")
def registry(store: TrackingStore) -> RegistryStore:
    return RegistryStore(store.engine)


@pytest.fixture
def prefix(registry: RegistryStore) -> str:
    """A unique prefix, and under it models a, b, c (b a prompt) with versions and tags."""
    stem = f"s{uuid.uuid4().hex[:8]}"
    registry.create_registered_model(f"{stem}-a", [Tag("team", "red")])
    registry.create_registered_model(f"{stem}-b", [Tag("team", "red"), PROMPT])
    registry.create_registered_model(f"{stem}-c", [Tag("team", "Red")])
    registry.create_model_version(f"{stem}-a", "s3://a/1", run_id="run1", tags=[Tag("ok", "y")])
    registry.create_model_version(f"{stem}-a", "s3://a/2", run_id="run2")
    registry.create_model_version(f"{stem}-b", "s3://b/1", run_id="run1", tags=[PROMPT])
    registry.create_model_version(f"{stem}-c", "s3://c/1", run_id="run3")
    return stem


def model_names(registry: RegistryStore, text: str, **kwargs: object) -> list[str]:
    return [m.name for m in registry.search_registered_models(text, **kwargs)]  # type: ignore[arg-type]


def versions(registry: RegistryStore, text: str, **kwargs: object) -> list[tuple[str, int]]:
    page = registry.search_model_versions(text, **kwargs)  # type: ignore[arg-type]
    return [(v.name, v.version) for v in page]


def test_models_by_name_pattern_leave_prompts_out(registry: RegistryStore, prefix: str) -> None:
    assert model_names(registry, f"name LIKE '{prefix}-%'") == [f"{prefix}-a", f"{prefix}-c"]
    assert model_names(registry, f"name ILIKE '{prefix.upper()}-A'") == [f"{prefix}-a"]
    assert model_names(registry, f"name = '{prefix}-a'") == [f"{prefix}-a"]


def test_models_by_tag_are_case_sensitive(registry: RegistryStore, prefix: str) -> None:
    found = model_names(registry, f"name LIKE '{prefix}%' AND tags.team = 'red'")
    assert found == [f"{prefix}-a"]
    assert model_names(registry, f"name LIKE '{prefix}%' AND tag.team != 'red'") == [f"{prefix}-c"]


def test_models_asking_for_prompts_get_prompts(registry: RegistryStore, prefix: str) -> None:
    text = f"name LIKE '{prefix}%' AND tags.`mlflow.prompt.is_prompt` = 'true'"
    assert model_names(registry, text) == [f"{prefix}-b"]
    text = f"name LIKE '{prefix}%' AND tags.`mlflow.prompt.is_prompt` = 'false'"
    assert model_names(registry, text) == [f"{prefix}-a", f"{prefix}-c"]


def test_models_order_and_pages(registry: RegistryStore, prefix: str) -> None:
    time.sleep(0.01)
    registry.update_registered_model(f"{prefix}-a", "touched last")
    text = f"name LIKE '{prefix}%'"
    assert model_names(registry, text, order_by=["timestamp DESC"])[0] == f"{prefix}-a"
    assert model_names(registry, text, order_by=["name DESC"]) == [f"{prefix}-c", f"{prefix}-a"]
    first = registry.search_registered_models(text, max_results=1)
    assert first.next_page_token is not None
    second = registry.search_registered_models(
        text, max_results=1, page_token=first.next_page_token
    )
    assert [m.name for m in (*first, *second)] == [f"{prefix}-a", f"{prefix}-c"]
    assert second.next_page_token is None
    latest = registry.search_registered_models(f"name = '{prefix}-a'").items[0].latest_versions
    assert [v.version for v in latest] == [2]


@pytest.mark.parametrize(
    ("text", "order_by", "max_results"),
    [
        ("run_id = 'x'", None, 10),
        ("name > 'a'", None, 10),
        ("tags.k IN ('a')", None, 10),
        ("name = 'a' OR name = 'b'", None, 10),
        (None, ["creation_timestamp"], 10),
        (None, ["timestamp", "last_updated_timestamp DESC"], 10),
        (None, None, 1001),
        (None, None, 0),
    ],
)
def test_model_search_refusals(
    registry: RegistryStore, text: str | None, order_by: list[str] | None, max_results: int
) -> None:
    refused(
        INVALID_PARAMETER_VALUE,
        registry.search_registered_models,
        text,
        max_results=max_results,
        order_by=order_by,
    )


def test_versions_by_attributes(registry: RegistryStore, prefix: str) -> None:
    assert versions(registry, f"name = '{prefix}-a'") == [(f"{prefix}-a", 2), (f"{prefix}-a", 1)]
    text = f"name LIKE '{prefix}%' AND run_id IN ('run1', 'run3')"
    assert sorted(versions(registry, text)) == [(f"{prefix}-a", 1), (f"{prefix}-c", 1)]
    assert versions(registry, f"name = '{prefix}-a' AND version_number > 1") == [(f"{prefix}-a", 2)]
    text = f"name LIKE '{prefix}%' AND source_path = 's3://c/1'"
    assert versions(registry, text) == [(f"{prefix}-c", 1)]


def test_versions_by_tag_match_the_version(registry: RegistryStore, prefix: str) -> None:
    assert versions(registry, f"name LIKE '{prefix}%' AND tags.ok = 'y'") == [(f"{prefix}-a", 1)]
    text = f"name LIKE '{prefix}%' AND tags.`mlflow.prompt.is_prompt` = 'true'"
    assert versions(registry, text) == [(f"{prefix}-b", 1)]


def test_versions_leave_deleted_out_and_order(registry: RegistryStore, prefix: str) -> None:
    registry.delete_model_version(f"{prefix}-c", 1)
    text = f"name LIKE '{prefix}%'"
    assert versions(registry, text, order_by=["name", "version_number"]) == [
        (f"{prefix}-a", 1),
        (f"{prefix}-a", 2),
    ]
    page = registry.search_model_versions(text, max_results=1, order_by=["version_number DESC"])
    rest = registry.search_model_versions(text, max_results=5, page_token=page.next_page_token)
    assert [v.version for v in (*page, *rest)] == [2, 1]


@pytest.mark.parametrize(
    ("text", "order_by", "max_results"),
    [
        ("name IN ('a')", None, 10),
        ("run_id NOT IN ('a')", None, 10),
        ("version_number = 'one'", None, 10),
        ("creation_timestamp > 1", None, 10),
        ("params.x = '1'", None, 10),
        (None, ["run_id"], 10),
        (None, None, 200_001),
    ],
)
def test_version_search_refusals(
    registry: RegistryStore, text: str | None, order_by: list[str] | None, max_results: int
) -> None:
    refused(
        INVALID_PARAMETER_VALUE,
        registry.search_model_versions,
        text,
        max_results=max_results,
        order_by=order_by,
    )


def test_bad_page_token_is_refused(registry: RegistryStore) -> None:
    refused(INVALID_PARAMETER_VALUE, registry.search_model_versions, None, page_token="%%")
    refused(INVALID_PARAMETER_VALUE, registry.search_registered_models, None, page_token="%%")
