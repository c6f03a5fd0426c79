"""Model versions on every backend: create, read, describe, stages, delete, tags, sources."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, INVALID_STATE, RESOURCE_DOES_NOT_EXIST
from store.logged_models.store import LoggedModelStore
from store.registry.model_versions import MODEL_VERSIONS_TAG
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


def test_create_numbers_versions_and_returns_mlflow_json(
    registry: RegistryStore, name: str
) -> None:
    first = registry.create_model_version(
        name,
        "s3://b/1",
        run_id="r" * 32,
        tags=[Tag("k", "v")],
        run_link="http://x",
        description="d",
    )
    second = registry.create_model_version(name, "s3://b/2")
    assert (first.version, second.version) == (1, 2)
    assert first.to_json() == {
        "name": name,
        "version": "1",
        "creation_timestamp": first.creation_timestamp,
        "last_updated_timestamp": first.creation_timestamp,
        "current_stage": "None",
        "description": "d",
        "source": "s3://b/1",
        "run_id": "r" * 32,
        "status": "READY",
        "tags": [{"key": "k", "value": "v"}],
        "run_link": "http://x",
    }
    model = registry.get_registered_model(name)
    assert model.last_updated_timestamp == second.creation_timestamp


def test_create_under_a_missing_model_is_does_not_exist(registry: RegistryStore) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, registry.create_model_version, "no-such-model", "s3://x")


def test_create_with_bad_tags_is_refused(registry: RegistryStore, name: str) -> None:
    refused(
        INVALID_PARAMETER_VALUE, registry.create_model_version, name, "s", tags=[Tag("k", None)]
    )
    refused(INVALID_PARAMETER_VALUE, registry.create_model_version, name, "s", tags=[Tag("", "v")])
    assert registry.get_registered_model(name).latest_versions == []


def test_numbers_are_never_reused_after_delete(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    registry.create_model_version(name, "s3://b/2")
    registry.delete_model_version(name, 2)
    assert registry.create_model_version(name, "s3://b/3").version == 3


def test_delete_redacts_and_drops_aliases(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1", run_id="abc", tags=[Tag("k", "v")])
    registry.set_registered_model_alias(name, "best", 1)
    registry.delete_model_version(name, 1)
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_model_version, name, 1)
    refused(RESOURCE_DOES_NOT_EXIST, registry.delete_model_version, name, 1)
    refused(INVALID_PARAMETER_VALUE, registry.get_model_version_by_alias, name, "best")
    assert registry.get_registered_model(name).aliases == {}
    from sqlalchemy import select

    from store.common.tables import model_versions

    with registry.session() as session:
        row = session.execute(select(model_versions).where(model_versions.c.name == name)).one()
    assert (row.current_stage, row.source, row.run_id, row.run_link, row.description) == (
        "Deleted_Internal",
        "REDACTED-SOURCE-PATH",
        "REDACTED-RUN-ID",
        "REDACTED-RUN-LINK",
        None,
    )


def test_update_description(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    updated = registry.update_model_version(name, 1, "better")
    assert updated.description == "better"
    assert registry.get_model_version(name, "1").description == "better"
    refused(RESOURCE_DOES_NOT_EXIST, registry.update_model_version, name, 9, "x")
    refused(INVALID_PARAMETER_VALUE, registry.update_model_version, name, "nine", "x")


def test_transition_archives_others_when_asked(registry: RegistryStore, name: str) -> None:
    for number in (1, 2, 3):
        registry.create_model_version(name, f"s3://b/{number}")
        registry.transition_model_version_stage(name, number, "Production")
    moved = registry.transition_model_version_stage(name, 1, "production", True)
    assert moved.current_stage == "Production"
    stages = [registry.get_model_version(name, n).current_stage for n in (1, 2, 3)]
    assert stages == ["Production", "Archived", "Archived"]
    model = registry.get_registered_model(name)
    assert model.last_updated_timestamp == moved.last_updated_timestamp


def test_transition_errors(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    refused(INVALID_PARAMETER_VALUE, registry.transition_model_version_stage, name, 1, "Live")
    error = refused(
        INVALID_PARAMETER_VALUE, registry.transition_model_version_stage, name, 1, "Archived", True
    )
    assert "is not an Active stage" in str(error)
    refused(RESOURCE_DOES_NOT_EXIST, registry.transition_model_version_stage, name, 7, "None")


def test_version_tags(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    registry.set_model_version_tag(name, 1, Tag("k", "1"))
    registry.set_model_version_tag(name, "1", Tag("k", "2"))
    assert registry.get_model_version(name, 1).tags == {"k": "2"}
    registry.delete_model_version_tag(name, 1, "k")
    registry.delete_model_version_tag(name, 1, "never-set")
    assert registry.get_model_version(name, 1).tags == {}
    refused(RESOURCE_DOES_NOT_EXIST, registry.set_model_version_tag, name, 5, Tag("k", "v"))
    refused(INVALID_PARAMETER_VALUE, registry.set_model_version_tag, name, 1, Tag("k", None))
    refused(RESOURCE_DOES_NOT_EXIST, registry.delete_model_version_tag, name, 5, "k")


def test_download_uri_prefers_the_storage_location(registry: RegistryStore, name: str) -> None:
    registry.create_model_version(name, "s3://b/1")
    registry.create_model_version(name, f"models:/{name}/1")
    assert registry.get_model_version_download_uri(name, 1) == "s3://b/1"
    assert registry.get_model_version_download_uri(name, 2) == "s3://b/1"
    assert registry.get_model_version(name, 2).source == f"models:/{name}/1"
    refused(RESOURCE_DOES_NOT_EXIST, registry.get_model_version_download_uri, name, 3)


def test_a_logged_model_source_gives_location_and_run(
    store: TrackingStore, registry: RegistryStore, name: str, run_id: str
) -> None:
    experiment_id = store.get_run(run_id).info.experiment_id
    logged = LoggedModelStore(store.engine).create_logged_model(experiment_id, source_run_id=run_id)
    version = registry.create_model_version(name, f"models:/{logged.model_id}")
    assert version.run_id == run_id
    assert registry.get_model_version_download_uri(name, 1) == logged.artifact_location


def test_a_version_of_a_logged_model_takes_its_run(
    store: TrackingStore, registry: RegistryStore, name: str, run_id: str
) -> None:
    """As MLflow 3.18: given a model id and no run, a version records the model's source run."""
    experiment_id = store.get_run(run_id).info.experiment_id
    logged = LoggedModelStore(store.engine).create_logged_model(experiment_id, source_run_id=run_id)
    version = registry.create_model_version(name, "s3://b/m", model_id=logged.model_id)
    assert version.run_id == run_id
    assert registry.create_model_version(name, "s3://b/m", "", model_id=logged.model_id).run_id == (
        run_id
    )


def test_a_version_of_a_logged_model_is_listed_on_it(
    store: TrackingStore, registry: RegistryStore, name: str, experiment_id: str
) -> None:
    models = LoggedModelStore(store.engine)
    logged = models.create_logged_model(experiment_id)
    models.set_logged_model_tags(
        logged.model_id, [Tag(MODEL_VERSIONS_TAG, '[{"name": "elsewhere", "version": "3"}]')]
    )
    source = f"models:/{logged.model_id}"
    registry.create_model_version(name, source, model_id=logged.model_id)
    registry.create_model_version(name, logged.artifact_location, model_id=logged.model_id)
    registry.create_model_version(name, source)
    listed = models.get_logged_model(logged.model_id).tags[MODEL_VERSIONS_TAG]
    assert listed == (
        f'[{{"name": "elsewhere", "version": "3"}}, {{"name": "{name}", "version": 1}}, '
        f'{{"name": "{name}", "version": 2}}]'
    )


def test_a_version_of_a_missing_logged_model_is_not_created(
    store: TrackingStore, registry: RegistryStore, name: str, experiment_id: str
) -> None:
    models = LoggedModelStore(store.engine)
    deleted = models.create_logged_model(experiment_id)
    models.delete_logged_model(deleted.model_id)
    for model_id in ("m-" + "0" * 32, deleted.model_id):
        refused(
            RESOURCE_DOES_NOT_EXIST,
            registry.create_model_version,
            name,
            "s3://b",
            model_id=model_id,
        )
    assert registry.search_model_versions(f"name = '{name}'").items == []


def test_a_listing_that_is_no_json_list_stops_the_version(
    store: TrackingStore, registry: RegistryStore, name: str, experiment_id: str
) -> None:
    models = LoggedModelStore(store.engine)
    logged = models.create_logged_model(experiment_id)
    models.set_logged_model_tags(logged.model_id, [Tag(MODEL_VERSIONS_TAG, "not json")])
    refused(INVALID_STATE, registry.create_model_version, name, "s3://b", model_id=logged.model_id)
    assert registry.search_model_versions(f"name = '{name}'").items == []


@pytest.mark.parametrize("source", ["models:/m-0123/", "models:/nope/1", "models:/a@champion"])
def test_unresolvable_model_sources_are_refused(
    registry: RegistryStore, name: str, source: str
) -> None:
    refused(INVALID_PARAMETER_VALUE, registry.create_model_version, name, source)


def test_concurrent_creators_get_distinct_numbers(registry: RegistryStore, name: str) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        created = list(pool.map(lambda n: registry.create_model_version(name, f"s/{n}"), range(6)))
    assert sorted(version.version for version in created) == [1, 2, 3, 4, 5, 6]
