"""Logging datasets and models as a run's inputs, on every backend."""

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, StoreError
from store.tracking.entities import Dataset, DatasetInput, Tag
from store.tracking.store import TrackingStore

CONTEXT = "mlflow.data.context"


def dataset(name: str = "iris", digest: str = "d1", **extra: str) -> Dataset:
    return Dataset(name, digest, "local", f"file:///{name}", **extra)


def test_log_inputs_records_datasets_with_their_tags(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(
        run_id,
        [
            DatasetInput(dataset(schema='{"a": 1}', profile="p"), [Tag(CONTEXT, "train")]),
            DatasetInput(dataset("wine"), []),
        ],
    )
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert [(i.dataset.name, [(t.key, t.value) for t in i.tags]) for i in inputs] == [
        ("iris", [(CONTEXT, "train")]),
        ("wine", []),
    ]
    assert inputs[0].dataset == dataset(schema='{"a": 1}', profile="p")


def test_relogging_a_dataset_links_it_once(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, [DatasetInput(dataset(), [Tag(CONTEXT, "train")])])
    store.log_inputs(
        run_id,
        [
            DatasetInput(dataset(), [Tag(CONTEXT, "eval")]),
            DatasetInput(dataset(), [Tag(CONTEXT, "other")]),
        ],
    )
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1 and inputs[0].tags == [Tag(CONTEXT, "train")]


def test_a_dataset_is_shared_by_the_runs_of_an_experiment(
    store: TrackingStore, experiment_id: str
) -> None:
    first, second = (store.create_run(experiment_id, "me").info.run_id for _ in range(2))
    store.log_inputs(first, [DatasetInput(dataset(), [])])
    store.log_inputs(second, [DatasetInput(dataset(), [Tag(CONTEXT, "eval")])])
    from sqlalchemy import func, select

    from store.common.tables import datasets

    with store.session() as session:
        count = session.execute(
            select(func.count()).where(datasets.c.experiment_id == int(experiment_id))
        ).scalar_one()
    assert count == 1
    assert store.get_run(second).inputs.dataset_inputs[0].tags == [Tag(CONTEXT, "eval")]


def test_model_inputs_appear_in_get_run(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, model_ids=["m-1", "m-1", "m-2"])
    body = store.get_run(run_id).to_json()
    assert body["inputs"] == {"model_inputs": [{"model_id": "m-1"}, {"model_id": "m-2"}]}


@pytest.mark.parametrize(
    "bad",
    [
        DatasetInput(Dataset("n" * 501, "d", "local", "s")),
        DatasetInput(Dataset("n", "d" * 37, "local", "s")),
        DatasetInput(Dataset("n", "d", "local", "s"), [Tag("k" * 256, "v")]),
        DatasetInput(Dataset("n", "d", "local", "s"), [Tag("k", "v" * 501)]),
        DatasetInput(Dataset("n", "d", "local", None)),  # type: ignore[arg-type]
    ],
)
def test_dataset_limits(store: TrackingStore, run_id: str, bad: DatasetInput) -> None:
    with pytest.raises(StoreError) as raised:
        store.log_inputs(run_id, [bad])
    assert raised.value.error_code == INVALID_PARAMETER_VALUE
    assert store.get_run(run_id).inputs.dataset_inputs == []


def test_inputs_of_a_deleted_run_are_refused(store: TrackingStore, run_id: str) -> None:
    store.delete_run(run_id)
    with pytest.raises(StoreError, match="active"):
        store.log_inputs(run_id, [DatasetInput(dataset())])
