"""Experiments on every backend: create, read, search, rename, delete, restore and tags."""

import time
import uuid

import pytest

from store.common.errors import (
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    StoreError,
)
from store.tracking.entities import Tag, ViewType
from store.tracking.store import TrackingStore


def unique(prefix: str = "exp") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def code_of(error: pytest.ExceptionInfo[StoreError]) -> str:
    return error.value.error_code


def test_create_returns_a_decimal_id_and_keeps_tags(store: TrackingStore) -> None:
    name = unique()
    experiment_id = store.create_experiment(name, tags=[Tag("team", "core")])
    experiment = store.get_experiment(experiment_id)
    assert experiment_id.isdigit() and int(experiment_id) > 0
    assert (experiment.name, experiment.lifecycle_stage) == (name, "active")
    assert experiment.tag_values() == {"team": "core"}
    assert experiment.artifact_location.endswith(f"/{experiment_id}")
    assert experiment.creation_time == experiment.last_update_time


def test_create_with_artifact_location_keeps_it(store: TrackingStore) -> None:
    experiment_id = store.create_experiment(unique(), artifact_location="s3://bucket/x")
    assert store.get_experiment(experiment_id).artifact_location == "s3://bucket/x"


def test_duplicate_name_already_exists(store: TrackingStore) -> None:
    name = unique()
    store.create_experiment(name)
    with pytest.raises(StoreError) as raised:
        store.create_experiment(name)
    assert code_of(raised) == RESOURCE_ALREADY_EXISTS


@pytest.mark.parametrize("name", ["", None, "x" * 257])
def test_bad_names_are_refused(store: TrackingStore, name: str | None) -> None:
    with pytest.raises(StoreError) as raised:
        store.create_experiment(name)  # type: ignore[arg-type]
    assert code_of(raised) == INVALID_PARAMETER_VALUE


def test_runs_uri_as_artifact_location_is_refused(store: TrackingStore) -> None:
    with pytest.raises(StoreError, match="runs:/"):
        store.create_experiment(unique(), artifact_location="runs:/abc/x")


def test_default_experiment_is_zero(store: TrackingStore) -> None:
    assert store.get_experiment("0").name == "Default"
    assert store.get_experiment(None).experiment_id == "0"


@pytest.mark.parametrize("experiment_id", ["999999", "abc", "-1"])
def test_missing_experiment_does_not_exist(store: TrackingStore, experiment_id: str) -> None:
    with pytest.raises(StoreError) as raised:
        store.get_experiment(experiment_id)
    assert code_of(raised) == RESOURCE_DOES_NOT_EXIST


def test_get_by_name_is_exact_and_none_when_missing(store: TrackingStore) -> None:
    name = unique("Case")
    experiment_id = store.create_experiment(name)
    found = store.get_experiment_by_name(name)
    assert found is not None and found.experiment_id == experiment_id
    assert store.get_experiment_by_name(name.lower()) is None
    assert store.get_experiment_by_name(unique()) is None


def test_rename(store: TrackingStore, experiment_id: str) -> None:
    new_name = unique("renamed")
    store.rename_experiment(experiment_id, new_name)
    assert store.get_experiment(experiment_id).name == new_name


def test_rename_to_a_taken_name_already_exists(store: TrackingStore, experiment_id: str) -> None:
    taken = unique()
    store.create_experiment(taken)
    with pytest.raises(StoreError) as raised:
        store.rename_experiment(experiment_id, taken)
    assert code_of(raised) == RESOURCE_ALREADY_EXISTS


def test_rename_deleted_experiment_is_invalid_state(
    store: TrackingStore, experiment_id: str
) -> None:
    store.delete_experiment(experiment_id)
    with pytest.raises(StoreError) as raised:
        store.rename_experiment(experiment_id, unique())
    assert code_of(raised) == INVALID_STATE


def test_delete_and_restore_carry_the_runs(store: TrackingStore, experiment_id: str) -> None:
    run_id = store.create_run(experiment_id, "me").info.run_id
    store.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    store.restore_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "active"
    assert store.get_run(run_id).info.lifecycle_stage == "active"


def test_delete_twice_and_restore_active_do_not_exist(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(StoreError) as restoring:
        store.restore_experiment(experiment_id)
    store.delete_experiment(experiment_id)
    with pytest.raises(StoreError) as deleting:
        store.delete_experiment(experiment_id)
    assert code_of(restoring) == code_of(deleting) == RESOURCE_DOES_NOT_EXIST


def test_set_tag_overwrites_and_delete_tag_removes(
    store: TrackingStore, experiment_id: str
) -> None:
    store.set_experiment_tag(experiment_id, "k", "v1")
    store.set_experiment_tag(experiment_id, "k", "v2")
    assert store.get_experiment(experiment_id).tag_values() == {"k": "v2"}
    store.delete_experiment_tag(experiment_id, "k")
    assert store.get_experiment(experiment_id).tags == []
    with pytest.raises(StoreError) as raised:
        store.delete_experiment_tag(experiment_id, "k")
    assert code_of(raised) == RESOURCE_DOES_NOT_EXIST


def test_tag_on_deleted_experiment_is_refused(store: TrackingStore, experiment_id: str) -> None:
    store.delete_experiment(experiment_id)
    with pytest.raises(StoreError, match="must be in the 'active' state"):
        store.set_experiment_tag(experiment_id, "k", "v")


@pytest.mark.parametrize(
    ("key", "value"), [("k" * 251, "v"), ("k", "v" * 20001), ("../up", "v"), ("a\tb", "v")]
)
def test_experiment_tag_limits(
    store: TrackingStore, experiment_id: str, key: str, value: str
) -> None:
    with pytest.raises(StoreError) as raised:
        store.set_experiment_tag(experiment_id, key, value)
    assert code_of(raised) == INVALID_PARAMETER_VALUE


def test_experiment_tag_holds_twenty_thousand_characters(
    store: TrackingStore, experiment_id: str
) -> None:
    """MLflow 3.18 takes experiment tag values up to 20,000 characters (TEXT columns)."""
    value = "ü" * 20_000
    store.set_experiment_tag(experiment_id, "long", value)
    assert Tag("long", value) in store.get_experiment(experiment_id).tags


def test_search_filters_orders_and_pages(store: TrackingStore) -> None:
    prefix = unique("search")
    ids = [
        store.create_experiment(f"{prefix}-{n}", tags=[Tag("parity", str(n % 2))]) for n in range(5)
    ]
    store.delete_experiment(ids[4])
    found = store.search_experiments(
        filter_string=f"name LIKE '{prefix}-%' AND tags.parity = '0'", order_by=["name DESC"]
    )
    assert [e.experiment_id for e in found] == [ids[2], ids[0]]
    every = store.search_experiments(
        ViewType.ALL, filter_string=f"name LIKE '{prefix}%'", order_by=["experiment_id"]
    )
    assert [e.experiment_id for e in every] == ids
    first = store.search_experiments(
        "ALL", max_results=3, filter_string=f"name LIKE '{prefix}%'", order_by=["name"]
    )
    second = store.search_experiments(
        3, 3, f"name LIKE '{prefix}%'", ["name"], page_token=first.next_page_token
    )
    assert [e.experiment_id for e in first] == ids[:3] and first.next_page_token
    assert [e.experiment_id for e in second] == ids[3:] and second.next_page_token is None
    deleted = store.search_experiments("DELETED_ONLY", filter_string=f"name LIKE '{prefix}%'")
    assert [e.experiment_id for e in deleted] == [ids[4]]


def test_search_default_order_is_newest_first(store: TrackingStore) -> None:
    prefix = unique("order")
    ids = []
    for n in range(3):
        time.sleep(0.002)  # creation times are milliseconds: make each one newer
        ids.append(store.create_experiment(f"{prefix}-{n}"))
    found = store.search_experiments(filter_string=f"name LIKE '{prefix}%'")
    assert [e.experiment_id for e in found] == list(reversed(ids))


def test_search_by_creation_time(store: TrackingStore, experiment_id: str) -> None:
    created = store.get_experiment(experiment_id).creation_time
    found = store.search_experiments(filter_string=f"creation_time >= {created}")
    assert experiment_id in [e.experiment_id for e in found]
    assert store.search_experiments(filter_string=f"creation_time > {created + 10**9}").items == []


def test_search_with_bad_filter_is_invalid(store: TrackingStore) -> None:
    with pytest.raises(StoreError) as raised:
        store.search_experiments(filter_string="name = 'a' OR name = 'b'")
    assert code_of(raised) == INVALID_PARAMETER_VALUE


def test_experiment_json_is_mlflow_shaped(store: TrackingStore) -> None:
    experiment_id = store.create_experiment(unique(), tags=[Tag("a", "b")])
    body = store.get_experiment(experiment_id).to_json()
    assert list(body) == [
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "last_update_time",
        "creation_time",
        "tags",
    ]
    assert body["tags"] == [{"key": "a", "value": "b"}]
