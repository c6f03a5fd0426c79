"""Logged models on every backend: create, read, finalize, delete, params, tags, search."""

import re
import time

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from store.logged_models.store import LoggedModelStore
from store.tracking.entities import Metric, Tag
from store.tracking.store import TrackingStore
from tests.store.expect import refused


@pytest.fixture(scope="module")
def models(store: TrackingStore) -> LoggedModelStore:
    return LoggedModelStore(store.engine)


def test_create_returns_a_pending_model_as_mlflow_shows_it(
    store: TrackingStore, models: LoggedModelStore, experiment_id: str
) -> None:
    model = models.create_logged_model(
        experiment_id, "clf", "r" * 32, [Tag("t", "1")], [Tag("p", "2")], "sklearn"
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    location = store.get_experiment(experiment_id).artifact_location
    assert model.artifact_location == f"{location}/models/{model.model_id}/artifacts"
    assert model.to_json() == {
        "info": {
            "model_id": model.model_id,
            "experiment_id": experiment_id,
            "name": "clf",
            "creation_timestamp_ms": model.creation_timestamp,
            "last_updated_timestamp_ms": model.creation_timestamp,
            "artifact_uri": model.artifact_location,
            "status": "LOGGED_MODEL_PENDING",
            "model_type": "sklearn",
            "source_run_id": "r" * 32,
            "tags": [{"key": "t", "value": "1"}],
        },
        "data": {"params": [{"key": "p", "value": "2"}]},
    }
    assert models.get_logged_model(model.model_id) == model


def test_a_model_without_a_name_gets_one(models: LoggedModelStore, experiment_id: str) -> None:
    model = models.create_logged_model(experiment_id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", model.name)
    assert model.to_json()["data"] == {}


@pytest.mark.parametrize("name", ["", "a/b", "a.b", "a:b", "50%", "it's"])
def test_bad_names_are_refused(models: LoggedModelStore, experiment_id: str, name: str) -> None:
    refused(INVALID_PARAMETER_VALUE, models.create_logged_model, experiment_id, name)


def test_create_needs_an_active_experiment(
    store: TrackingStore, models: LoggedModelStore, experiment_id: str
) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, models.create_logged_model, "987654")
    store.delete_experiment(experiment_id)
    error = refused(INVALID_PARAMETER_VALUE, models.create_logged_model, experiment_id)
    assert "must be in the 'active' state" in str(error)


def test_finalize_sets_the_status(models: LoggedModelStore, experiment_id: str) -> None:
    model = models.create_logged_model(experiment_id)
    ready = models.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert (ready.status_name, ready.to_json()["info"]["status"]) == ("READY", "LOGGED_MODEL_READY")
    assert models.finalize_logged_model(model.model_id, 3).status_name == "FAILED"
    refused(INVALID_PARAMETER_VALUE, models.finalize_logged_model, model.model_id, "DONE")
    refused(RESOURCE_DOES_NOT_EXIST, models.finalize_logged_model, "m-missing", "READY")


def test_delete_hides_the_model(models: LoggedModelStore, experiment_id: str) -> None:
    model = models.create_logged_model(experiment_id)
    models.delete_logged_model(model.model_id)
    error = refused(RESOURCE_DOES_NOT_EXIST, models.get_logged_model, model.model_id)
    assert str(error) == f"Logged model with ID '{model.model_id}' not found."
    assert models.search_logged_models([experiment_id]).items == []
    refused(RESOURCE_DOES_NOT_EXIST, models.delete_logged_model, "m-missing")


def test_params_are_added_but_not_changed(models: LoggedModelStore, experiment_id: str) -> None:
    model = models.create_logged_model(experiment_id, params=[Tag("a", "1")])
    models.log_logged_model_params(model.model_id, [Tag("a", "1"), Tag("b", "2")])
    assert models.get_logged_model(model.model_id).params == {"a": "1", "b": "2"}
    refused(
        INVALID_PARAMETER_VALUE, models.log_logged_model_params, model.model_id, [Tag("a", "9")]
    )
    refused(RESOURCE_DOES_NOT_EXIST, models.log_logged_model_params, "m-missing", [Tag("a", "1")])


def test_tags_set_overwrite_and_delete(models: LoggedModelStore, experiment_id: str) -> None:
    model = models.create_logged_model(experiment_id, tags=[Tag("a", "1")])
    models.set_logged_model_tags(model.model_id, [Tag("a", "2"), Tag("b", "3")])
    models.delete_logged_model_tag(model.model_id, "b")
    assert models.get_logged_model(model.model_id).tags == {"a": "2"}
    error = refused(RESOURCE_DOES_NOT_EXIST, models.delete_logged_model_tag, model.model_id, "b")
    assert "No tag with key 'b'" in str(error)
    refused(RESOURCE_DOES_NOT_EXIST, models.set_logged_model_tags, "m-missing", [Tag("a", "1")])


def test_metrics_logged_to_a_run_come_back_with_the_model(
    store: TrackingStore, models: LoggedModelStore, run_id: str
) -> None:
    experiment_id = store.get_run(run_id).info.experiment_id
    model = models.create_logged_model(experiment_id)
    points = [
        Metric("acc", 0.5, 10, 0, model_id=model.model_id, dataset_name="d", dataset_digest="x"),
        Metric("acc", 0.7, 20, 1, model_id=model.model_id),
    ]
    store.log_batch(run_id, metrics=points)
    found = models.get_logged_model(model.model_id)
    assert [m.to_json() for m in found.metrics] == [
        {"key": "acc", "value": 0.5, "timestamp": 10, "step": 0, "dataset_name": "d",
         "dataset_digest": "x", "model_id": model.model_id, "run_id": run_id},
        {"key": "acc", "value": 0.7, "timestamp": 20, "step": 1, "model_id": model.model_id,
         "run_id": run_id},
    ]  # fmt: skip


@pytest.fixture
def searchable(
    store: TrackingStore, models: LoggedModelStore, run_id: str
) -> tuple[str, list[str]]:
    """An experiment with models m0, m1, m2: params, tags, metrics on datasets d1 and d2."""
    experiment_id = store.get_run(run_id).info.experiment_id
    ids = []
    for index, (loss, dataset) in enumerate([(0.3, "d1"), (0.1, "d2"), (None, None)]):
        time.sleep(0.005)
        model = models.create_logged_model(
            experiment_id, f"m{index}", params=[Tag("lr", str(index))], tags=[Tag("k", "v")]
        )
        ids.append(model.model_id)
        if loss is not None:
            metric = Metric("loss", loss, 5, 0, model_id=model.model_id, dataset_name=dataset)
            store.log_batch(run_id, metrics=[metric])
    store.log_batch(run_id, metrics=[Metric("loss", 0.9, 1, 0, model_id=ids[0])])
    return experiment_id, ids


def names(models: LoggedModelStore, experiment_id: str, **kwargs: object) -> list[str]:
    return [m.name for m in models.search_logged_models([experiment_id], **kwargs)]  # type: ignore[arg-type]


def test_search_defaults_to_newest_first(
    models: LoggedModelStore, searchable: tuple[str, list[str]]
) -> None:
    experiment_id, _ = searchable
    assert names(models, experiment_id) == ["m2", "m1", "m0"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.loss < 0.2", ["m1"]),
        ("metrics.loss > 0.8", ["m0"]),
        ("params.lr = '1'", ["m1"]),
        ("params.lr IN ('0', '2')", ["m0", "m2"]),
        ("tags.k = 'v' AND name != 'm1'", ["m0", "m2"]),
        ("name LIKE 'm%' AND creation_timestamp > 0", ["m0", "m1", "m2"]),
        ("attributes.name = 'm2'", ["m2"]),
    ],
)
def test_search_filters(
    models: LoggedModelStore, searchable: tuple[str, list[str]], text: str, expected: list[str]
) -> None:
    experiment_id, _ = searchable
    assert sorted(names(models, experiment_id, filter_string=text)) == expected


def test_search_by_datasets(models: LoggedModelStore, searchable: tuple[str, list[str]]) -> None:
    experiment_id, _ = searchable
    assert names(models, experiment_id, datasets=[{"dataset_name": "d2"}]) == ["m1"]
    on_d1 = names(
        models, experiment_id, filter_string="metrics.loss > 0.2", datasets=[{"dataset_name": "d1"}]
    )
    assert on_d1 == ["m0"]
    refused(
        INVALID_PARAMETER_VALUE,
        models.search_logged_models,
        [experiment_id],
        datasets=[{"dataset_digest": "x"}],
    )


def test_search_orders_by_latest_metric_missing_last(
    models: LoggedModelStore, searchable: tuple[str, list[str]]
) -> None:
    experiment_id, _ = searchable
    ascending = [{"field_name": "metrics.loss", "ascending": True}]
    descending = [{"field_name": "metrics.loss", "ascending": False}]
    assert names(models, experiment_id, order_by=ascending) == ["m1", "m0", "m2"]
    assert names(models, experiment_id, order_by=descending) == ["m0", "m1", "m2"]
    by_name = [{"field_name": "name", "ascending": True}]
    assert names(models, experiment_id, order_by=by_name) == ["m0", "m1", "m2"]


def test_search_pages_carry_the_search(
    models: LoggedModelStore, searchable: tuple[str, list[str]]
) -> None:
    experiment_id, _ = searchable
    first = models.search_logged_models([experiment_id], max_results=2)
    assert first.next_page_token is not None
    rest = models.search_logged_models(
        [experiment_id], max_results=2, page_token=first.next_page_token
    )
    assert [m.name for m in (*first, *rest)] == ["m2", "m1", "m0"]
    assert rest.next_page_token is None
    refused(
        INVALID_PARAMETER_VALUE,
        models.search_logged_models,
        [experiment_id],
        filter_string="name = 'm1'",
        page_token=first.next_page_token,
    )
    refused(INVALID_PARAMETER_VALUE, models.search_logged_models, ["0"], page_token="!!")


@pytest.mark.parametrize(
    ("text", "order_by"),
    [
        ("metrics.loss LIKE '1'", None),
        ("params.lr > '1'", None),
        ("runs.x = '1'", None),
        ("status_message ~ 'x'", None),
        (None, [{"field_name": "params.lr"}]),
        (None, [{"field_name": "no_such_column"}]),
    ],
)
def test_search_refusals(
    models: LoggedModelStore, text: str | None, order_by: list[dict[str, object]] | None
) -> None:
    refused(
        INVALID_PARAMETER_VALUE,
        models.search_logged_models,
        ["0"],
        filter_string=text,
        order_by=order_by,
    )
