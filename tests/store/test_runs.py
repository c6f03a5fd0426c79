"""Runs on every backend: create, read, update, delete, restore and tags."""

import re

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, StoreError
from store.tracking.entities import Tag
from store.tracking.store import TrackingStore


def test_create_run_ids_names_and_defaults(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id, user_id="ann", start_time=123, tags=[Tag("k", "v")])
    info = run.info
    assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
    assert (info.experiment_id, info.user_id, info.start_time) == (experiment_id, "ann", 123)
    assert (info.status, info.lifecycle_stage, info.end_time) == ("RUNNING", "active", None)
    assert info.artifact_uri.endswith(f"/{experiment_id}/{info.run_id}/artifacts")
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", info.run_name or "")
    assert run.data.tag_values() == {"k": "v", "mlflow.runName": info.run_name}
    assert store.get_run(info.run_id).to_json() == {**run.to_json(), "outputs": {}}


def test_run_name_argument_becomes_the_tag(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id, "ann", run_name="first")
    assert run.info.run_name == "first"
    assert store.get_run(run.info.run_id).data.tag_values()["mlflow.runName"] == "first"


def test_run_name_tag_becomes_the_name(store: TrackingStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id, "ann", tags=[Tag("mlflow.runName", "tagged")])
    assert store.get_run(run.info.run_id).info.run_name == "tagged"


def test_conflicting_run_name_and_tag_are_refused(store: TrackingStore, experiment_id: str) -> None:
    with pytest.raises(StoreError, match="different values") as raised:
        store.create_run(experiment_id, "ann", tags=[Tag("mlflow.runName", "a")], run_name="b")
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_user_id_falls_back_to_the_user_tag(store: TrackingStore, experiment_id: str) -> None:
    tagged = store.create_run(experiment_id, tags=[Tag("mlflow.user", "bob")])
    untagged = store.create_run(experiment_id)
    assert (tagged.info.user_id, untagged.info.user_id) == ("bob", "unknown")


def test_create_run_in_missing_or_deleted_experiment(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(StoreError) as missing:
        store.create_run("987654", "ann")
    store.delete_experiment(experiment_id)
    with pytest.raises(StoreError, match="must be in the 'active' state") as deleted:
        store.create_run(experiment_id, "ann")
    assert missing.value.error_code == RESOURCE_DOES_NOT_EXIST
    assert deleted.value.error_code == INVALID_PARAMETER_VALUE


def test_get_missing_run_does_not_exist(store: TrackingStore) -> None:
    with pytest.raises(StoreError, match="not found") as raised:
        store.get_run("0" * 32)
    assert raised.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_update_status_end_time_and_name(store: TrackingStore, run_id: str) -> None:
    info = store.update_run_info(run_id, "FINISHED", 2000, "renamed")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 2000, "renamed")
    run = store.get_run(run_id)
    assert run.info == info
    assert run.data.tag_values()["mlflow.runName"] == "renamed"


def test_update_with_nones_changes_nothing(store: TrackingStore, run_id: str) -> None:
    before = store.get_run(run_id).info
    assert store.update_run_info(run_id, None, None, None) == before


def test_update_with_unknown_status_is_refused(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(StoreError, match="Invalid run status"):
        store.update_run_info(run_id, "DONE", None, None)


def test_delete_sets_deleted_time_and_restore_clears_it(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    assert _deleted_time(store, run_id) is not None
    store.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "active"
    assert _deleted_time(store, run_id) is None


def _deleted_time(store: TrackingStore, run_id: str) -> int | None:
    from sqlalchemy import select

    from store.common.tables import runs

    with store.session() as session:
        return session.execute(  # type: ignore[no-any-return]
            select(runs.c.deleted_time).where(runs.c.run_uuid == run_id)
        ).scalar_one()


@pytest.mark.parametrize(
    "change",
    [
        lambda s, r: s.update_run_info(r, "FAILED", None, None),
        lambda s, r: s.set_tag(r, "k", "v"),
        lambda s, r: s.delete_tag(r, "mlflow.runName"),
        lambda s, r: s.log_param(r, "p", "v"),
        lambda s, r: s.log_batch(r, params=[Tag("p", "v")]),
    ],
)
def test_changes_to_a_deleted_run_are_refused(store: TrackingStore, run_id: str, change) -> None:  # type: ignore[no-untyped-def]
    store.delete_run(run_id)
    with pytest.raises(StoreError, match="must be in the 'active' state") as raised:
        change(store, run_id)
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


@pytest.mark.parametrize("operation", ["delete_run", "restore_run", "get_run"])
def test_operations_on_missing_runs_do_not_exist(store: TrackingStore, operation: str) -> None:
    with pytest.raises(StoreError) as raised:
        getattr(store, operation)("f" * 32)
    assert raised.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_set_tag_overwrites_and_delete_tag_removes(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "k", "one")
    store.set_tag(run_id, "k", "two")
    assert store.get_run(run_id).data.tag_values()["k"] == "two"
    store.delete_tag(run_id, "k")
    assert "k" not in store.get_run(run_id).data.tag_values()
    with pytest.raises(StoreError) as raised:
        store.delete_tag(run_id, "k")
    assert raised.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_setting_the_run_name_tag_renames_the_run(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "mlflow.runName", "via-tag")
    assert store.get_run(run_id).info.run_name == "via-tag"


def test_long_tag_values_are_truncated_as_mlflow_does(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, "long", "x" * 9000)
    assert store.get_run(run_id).data.tag_values()["long"] == "x" * 8000


def test_long_tag_values_refused_when_truncation_is_off(
    store: TrackingStore, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(StoreError, match="exceeds the maximum length of 8000"):
        store.set_tag(run_id, "long", "x" * 8001)


@pytest.mark.parametrize("key", ["k" * 251, "", "/abs", "a//b", "bad\nkey", None])
def test_bad_tag_keys_are_refused(store: TrackingStore, run_id: str, key: str | None) -> None:
    with pytest.raises(StoreError) as raised:
        store.set_tag(run_id, key, "v")  # type: ignore[arg-type]
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_run_json_is_mlflow_shaped(store: TrackingStore, run_id: str) -> None:
    body = store.get_run(run_id).to_json()
    assert list(body) == ["info", "data", "inputs", "outputs"]
    assert list(body["info"]) == [
        "run_uuid",
        "experiment_id",
        "run_name",
        "user_id",
        "status",
        "start_time",
        "artifact_uri",
        "lifecycle_stage",
        "run_id",
    ]
    assert body["info"]["run_uuid"] == body["info"]["run_id"] == run_id
