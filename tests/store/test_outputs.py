"""A run's outputs on every backend: model outputs and the log-model history tag."""

import json
from typing import Any

import pytest

from store.common.errors import (
    BAD_REQUEST,
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_DOES_NOT_EXIST,
)
from store.tracking.entities import ModelOutput
from store.tracking.outputs import LOG_MODEL_HISTORY_TAG
from store.tracking.store import TrackingStore
from tests.store.expect import refused


def outputs_of(store: TrackingStore, run_id: str) -> list[tuple[str, int]]:
    outputs = store.get_run(run_id).outputs
    assert outputs is not None
    return [(output.model_id, output.step) for output in outputs.model_outputs]


def mlmodel(run_id: str | None = "r" * 32, **fields: Any) -> dict[str, Any]:
    """An MLmodel as a client sends it, with a flavor carrying a config MLflow leaves out."""
    return {
        "run_id": run_id,
        "artifact_path": "model",
        "utc_time_created": "2026-01-02 03:04:05.000006",
        "flavors": {"python_function": {"loader_module": "mlflow.pyfunc", "config": {"a": 1}}},
        "model_uuid": "u1",
        "signature": {"inputs": "[]"},
        **fields,
    }


def history_of(store: TrackingStore, run_id: str) -> str | None:
    return store.get_run(run_id).data.tag_values().get(LOG_MODEL_HISTORY_TAG)


def test_log_outputs_records_models_at_their_steps(store: TrackingStore, run_id: str) -> None:
    store.log_outputs(run_id, [ModelOutput("m-b", 2), ModelOutput("m-a", 2)])
    store.log_outputs(run_id, [ModelOutput("m-c", 0)])
    assert outputs_of(store, run_id) == [("m-c", 0), ("m-a", 2), ("m-b", 2)]
    assert store.get_run(run_id).inputs.model_ids == []


def test_a_model_is_an_output_of_a_run_once(store: TrackingStore, run_id: str) -> None:
    store.log_outputs(run_id, [ModelOutput("m-a", 1)])
    refused(BAD_REQUEST, store.log_outputs, run_id, [ModelOutput("m-a", 5)])
    refused(BAD_REQUEST, store.log_outputs, run_id, [ModelOutput("m-b", 0), ModelOutput("m-b", 1)])
    refused(BAD_REQUEST, store.log_outputs, run_id, [ModelOutput("m-c", 0), ModelOutput("m-a", 0)])
    assert outputs_of(store, run_id) == [("m-a", 1)]


def test_the_same_model_may_be_input_and_output(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, model_ids=["m-a"])
    store.log_outputs(run_id, [ModelOutput("m-a", 0)])
    assert outputs_of(store, run_id) == [("m-a", 0)]
    assert store.get_run(run_id).inputs.model_ids == ["m-a"]


def test_search_lists_model_outputs_but_not_model_inputs(store: TrackingStore, run_id: str) -> None:
    store.log_inputs(run_id, model_ids=["m-a"])
    store.log_outputs(run_id, [ModelOutput("m-b", 3)])
    experiment_id = store.get_run(run_id).info.experiment_id
    (found,) = store.search_runs([experiment_id])
    assert found.outputs is not None
    assert [(o.model_id, o.step) for o in found.outputs.model_outputs] == [("m-b", 3)]
    assert found.inputs.model_ids == []


@pytest.mark.parametrize(
    "output",
    [ModelOutput("", 0), ModelOutput("m-" + "0" * 40, 0), ModelOutput("m-a", 2**63)],
    ids=["empty id", "long id", "step beyond int64"],
)
def test_bad_outputs_are_refused(store: TrackingStore, run_id: str, output: ModelOutput) -> None:
    refused(INVALID_PARAMETER_VALUE, store.log_outputs, run_id, [output])
    assert outputs_of(store, run_id) == []


def test_outputs_need_an_active_run(store: TrackingStore, run_id: str) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, store.log_outputs, "0" * 32, [ModelOutput("m-a", 0)])
    store.delete_run(run_id)
    refused(INVALID_PARAMETER_VALUE, store.log_outputs, run_id, [ModelOutput("m-a", 0)])
    store.restore_run(run_id)
    assert outputs_of(store, run_id) == []


def test_record_logged_model_appends_mlflows_summary(store: TrackingStore, run_id: str) -> None:
    store.record_logged_model(run_id, mlmodel())
    store.record_logged_model(run_id, mlmodel(None, artifact_path="other", flavors=None))
    expected = (
        '[{"run_id": "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", "artifact_path": "model", '
        '"utc_time_created": "2026-01-02 03:04:05.000006", "model_uuid": "u1", '
        '"flavors": {"python_function": {"loader_module": "mlflow.pyfunc"}}}, '
        '{"artifact_path": "other", "utc_time_created": "2026-01-02 03:04:05.000006", '
        '"model_uuid": "u1", "flavors": {}}]'
    )
    assert history_of(store, run_id) == expected


def test_a_summary_without_uuid_or_time_gets_null_and_now(
    store: TrackingStore, run_id: str
) -> None:
    model = mlmodel(utc_time_created="")
    del model["model_uuid"]
    store.record_logged_model(run_id, model)
    [entry] = json.loads(history_of(store, run_id) or "")
    assert entry["model_uuid"] is None
    assert entry["utc_time_created"] >= "2026-"


@pytest.mark.parametrize(
    "change",
    [{"flavors": ["python_function"]}, {"utc_time_created": 5}],
    ids=["flavors not an object", "time not a string"],
)
def test_bad_models_are_refused(store: TrackingStore, run_id: str, change: dict[str, Any]) -> None:
    refused(INVALID_PARAMETER_VALUE, store.record_logged_model, run_id, mlmodel(**change))
    assert history_of(store, run_id) is None


def test_a_model_missing_mandatory_fields_is_refused(store: TrackingStore, run_id: str) -> None:
    error = refused(INVALID_PARAMETER_VALUE, store.record_logged_model, run_id, {"run_id": "r"})
    assert "artifact_path, flavors, utc_time_created" in str(error)
    assert history_of(store, run_id) is None


def test_history_is_kept_within_the_tag_limit(store: TrackingStore, run_id: str) -> None:
    big = mlmodel(flavors={"f": {"blob": "x" * 7800}})
    store.record_logged_model(run_id, big)
    before = history_of(store, run_id)
    refused(INVALID_PARAMETER_VALUE, store.record_logged_model, run_id, big)
    assert history_of(store, run_id) == before


def test_a_history_tag_that_is_no_list_is_invalid_state(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, LOG_MODEL_HISTORY_TAG, '{"not": "a list"}')
    refused(INVALID_STATE, store.record_logged_model, run_id, mlmodel())
    assert history_of(store, run_id) == '{"not": "a list"}'


def test_record_logged_model_needs_an_active_run(store: TrackingStore, run_id: str) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, store.record_logged_model, "0" * 32, mlmodel())
    store.delete_run(run_id)
    refused(INVALID_PARAMETER_VALUE, store.record_logged_model, run_id, mlmodel())
    store.restore_run(run_id)
    assert history_of(store, run_id) is None
