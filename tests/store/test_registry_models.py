"""Registered models on every backend: create, read, rename, describe, delete, tags, aliases."""

import pytest

from store.common.errors import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)
from store.registry.store import RegistryStore
from store.tracking.entities import Tag
from store.tracking.store import TrackingStore
from tests.store.expect import new_model, refused


@pytest.fixture(scope="module")
def registry(store: TrackingStore) -> RegistryStore:
    return RegistryStore(store.engine)


@pytest.fixture
def name(registry: RegistryStore) -> str:
    return new_model(registry)


def test_create_returns_the_model_as_mlflow_shows_it(registry: RegistryStore) -> None:
    model = registry.create_registered_model("created", [Tag("team", "a")], "first model")
    assert model.creation_timestamp == model.last_updated_timestamp
    assert model.to_json() == {
        "name": "created",
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.creation_timestamp,
        "description": "first model",
        "tags": [{"key": "team", "value": "a"}],
    }
    assert registry.get_registered_model("created") == model


def test_create_twice_is_already_exists(registry: RegistryStore, name: str) -> None:
    error = refused(RESOURCE_ALREADY_EXISTS, registry.create_registered_model, name)
    assert str(error) == f"Registered Model (name={name}) already exists."


def test_a_prompt_cannot_take_a_model_name(registry: RegistryStore, name: str) -> None:
    prompt_tag = Tag("mlflow.prompt.is_prompt", "true")
    error = refused(RESOURCE_ALREADY_EXISTS, registry.create_registered_model, name, [prompt_tag])
    assert "already taken by a registered model" in str(error)


@pytest.mark.parametrize("bad", ["", None])
def test_create_without_a_name_is_refused(registry: RegistryStore, bad: str | None) -> None:
    refused(INVALID_PARAMETER_VALUE, registry.create_registered_model, bad)


def test_create_with_a_bad_tag_key_writes_nothing(registry: RegistryStore) -> None:
    refused(
        INVALID_PARAMETER_VALUE, registry.create_registered_model, "bad-tag", [Tag("../x", "v")]
    )
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_registered_model, "bad-tag")


def test_get_a_missing_model_is_does_not_exist(registry: RegistryStore) -> None:
    error = refused(RESOURCE_DOES_NOT_EXIST, registry.get_registered_model, "no-such-model")
    assert str(error) == "Registered Model with name=no-such-model not found"


def test_update_description_moves_last_updated(registry: RegistryStore, name: str) -> None:
    before = registry.get_registered_model(name)
    after = registry.update_registered_model(name, "new words")
    assert after.description == "new words"
    assert after.last_updated_timestamp >= before.last_updated_timestamp  # type: ignore[operator]
    refused(RESOURCE_DOES_NOT_EXIST, registry.update_registered_model, "no-such-model", "x")


def test_rename_carries_versions_tags_and_aliases(registry: RegistryStore, name: str) -> None:
    registry.set_registered_model_tag(name, Tag("k", "v"))
    registry.create_model_version(name, "s3://b/1", tags=[Tag("vt", "1")])
    registry.set_registered_model_alias(name, "champion", 1)
    renamed = registry.rename_registered_model(name, f"{name}-new")
    assert renamed.name == f"{name}-new"
    assert renamed.tags == {"k": "v"} and renamed.aliases == {"champion": 1}
    version = registry.get_model_version(f"{name}-new", 1)
    assert (version.tags, version.aliases) == ({"vt": "1"}, ["champion"])
    assert version.last_updated_timestamp == renamed.last_updated_timestamp
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_registered_model, name)


def test_rename_onto_a_taken_name_is_already_exists(registry: RegistryStore, name: str) -> None:
    other = registry.create_registered_model(f"{name}-other").name
    refused(RESOURCE_ALREADY_EXISTS, registry.rename_registered_model, name, other)
    refused(INVALID_PARAMETER_VALUE, registry.rename_registered_model, name, "")
    refused(RESOURCE_DOES_NOT_EXIST, registry.rename_registered_model, "no-such-model", "x")


def test_delete_removes_the_model_and_everything_under_it(
    registry: RegistryStore, name: str
) -> None:
    registry.set_registered_model_tag(name, Tag("k", "v"))
    registry.create_model_version(name, "s3://b/1", tags=[Tag("vt", "1")])
    registry.set_registered_model_alias(name, "champion", 1)
    registry.delete_registered_model(name)
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_registered_model, name)
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_model_version, name, 1)
    recreated = registry.create_registered_model(name)
    assert (recreated.tags, recreated.aliases, recreated.latest_versions) == ({}, {}, [])
    refused(RESOURCE_DOES_NOT_EXIST, registry.delete_registered_model, "no-such-model")


def test_set_tag_overwrites_and_delete_tag_removes(registry: RegistryStore, name: str) -> None:
    registry.set_registered_model_tag(name, Tag("k", "1"))
    registry.set_registered_model_tag(name, Tag("k", "2"))
    assert registry.get_registered_model(name).tags == {"k": "2"}
    registry.delete_registered_model_tag(name, "k")
    registry.delete_registered_model_tag(name, "never-set")
    assert registry.get_registered_model(name).tags == {}


def test_tag_errors(registry: RegistryStore, name: str) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, registry.set_registered_model_tag, "nope", Tag("k", "v"))
    refused(RESOURCE_DOES_NOT_EXIST, registry.delete_registered_model_tag, "nope", "k")
    refused(
        INVALID_PARAMETER_VALUE, registry.set_registered_model_tag, name, Tag("k", "x" * 100_001)
    )
    refused(INVALID_PARAMETER_VALUE, registry.set_registered_model_tag, name, Tag("k" * 251, "v"))


def test_alias_set_move_and_delete(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    registry.create_model_version(name, "s3://b/2")
    registry.set_registered_model_alias(name, "best", 1)
    registry.set_registered_model_alias(name, "best", "2")
    assert registry.get_model_version_by_alias(name, "best").version == 2
    assert registry.get_registered_model(name).to_json()["aliases"] == [
        {"alias": "best", "version": "2"}
    ]
    registry.delete_registered_model_alias(name, "best")
    registry.delete_registered_model_alias(name, "never-set")
    error = refused(INVALID_PARAMETER_VALUE, registry.get_model_version_by_alias, name, "best")
    assert str(error) == "Registered model alias best not found."


@pytest.mark.parametrize("alias", ["", "latest", "Latest", "v3", "V12", "has space", "a" * 256])
def test_reserved_or_malformed_aliases_are_refused(
    registry: RegistryStore, name: str, alias: str
) -> None:
    registry.create_model_version(name, "s3://b/1")
    refused(INVALID_PARAMETER_VALUE, registry.set_registered_model_alias, name, alias, 1)


def test_alias_needs_a_live_version(registry: RegistryStore, name: str) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, registry.set_registered_model_alias, name, "a", 1)
    refused(INVALID_PARAMETER_VALUE, registry.set_registered_model_alias, name, "a", "one")
    refused(RESOURCE_DOES_NOT_EXIST, registry.delete_registered_model_alias, "nope", "a")


def test_latest_versions_per_stage(registry: RegistryStore, name: str) -> None:
    for number in range(1, 6):
        registry.create_model_version(name, f"s3://b/{number}")
    registry.transition_model_version_stage(name, 2, "Production")
    registry.transition_model_version_stage(name, 3, "staging")
    registry.transition_model_version_stage(name, 4, "STAGING")
    registry.set_registered_model_alias(name, "best", 4)
    latest = registry.get_latest_versions(name)
    assert [(v.version, v.current_stage) for v in latest] == [
        (5, "None"),
        (2, "Production"),
        (4, "Staging"),
    ]
    assert [v.aliases for v in latest] == [[], [], ["best"]]
    staged = registry.get_latest_versions(name, ["staging", "archived"])
    assert [v.version for v in staged] == [4]
    model = registry.get_registered_model(name)
    assert [v.version for v in model.latest_versions] == [5, 2, 4]
    assert all(v.aliases == [] for v in model.latest_versions)


def test_latest_versions_errors(registry: RegistryStore, name: str) -> None:
    error = refused(INVALID_PARAMETER_VALUE, registry.get_latest_versions, name, ["Live"])
    assert "Invalid Model Version stage: Live" in str(error)
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_latest_versions, "no-such-model")
