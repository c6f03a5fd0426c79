"""Logging params, metrics and tags on every backend: limits, atomic batches, latest metrics."""

import math

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, StoreError
from store.tracking.entities import Metric, Tag
from store.tracking.store import TrackingStore


def latest(store: TrackingStore, run_id: str) -> dict[str, tuple[float, int, int]]:
    """Each latest metric of the run as (value, timestamp, step)."""
    return {m.key: (m.value, m.timestamp, m.step) for m in store.get_run(run_id).data.metrics}


def test_log_param_and_relog_same_value(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")
    store.log_param(run_id, "lr", "0.1")
    assert store.get_run(run_id).data.param_values() == {"lr": "0.1"}


def test_relogging_a_param_with_a_new_value_is_refused(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")
    with pytest.raises(StoreError, match="Changing param values is not allowed") as raised:
        store.log_param(run_id, "lr", "0.2")
    assert raised.value.error_code == INVALID_PARAMETER_VALUE
    assert store.get_run(run_id).data.param_values() == {"lr": "0.1"}


def test_long_param_value_is_truncated_to_6000(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "long", "v" * 7000)
    assert store.get_run(run_id).data.param_values()["long"] == "v" * 6000


def test_param_key_over_250_is_refused(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(StoreError, match="maximum length of 250"):
        store.log_param(run_id, "k" * 251, "v")


def test_log_metric_to_missing_run_does_not_exist(store: TrackingStore) -> None:
    with pytest.raises(StoreError) as raised:
        store.log_metric("a" * 32, Metric("m", 1.0, 0, 0))
    assert raised.value.error_code == RESOURCE_DOES_NOT_EXIST


@pytest.mark.parametrize(
    "metric",
    [
        Metric("m", "1.0", 0, 0),  # type: ignore[arg-type]
        Metric("m", True, 0, 0),
        Metric("m", 1.0, -1, 0),
        Metric("m", 1.0, 0, "x"),  # type: ignore[arg-type]
        Metric("m", 1.0, 2**63, 0),
        Metric("m", 1.0, 0, -(2**63) - 1),
        Metric("m", 1j, 0, 0),  # type: ignore[arg-type]
        Metric("../m", 1.0, 0, 0),
        Metric("m" * 251, 1.0, 0, 0),
    ],
)
def test_invalid_metrics_are_refused(store: TrackingStore, run_id: str, metric: Metric) -> None:
    with pytest.raises(StoreError) as raised:
        store.log_metric(run_id, metric)
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_latest_metric_is_greatest_step_then_timestamp_then_value(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[Metric("m", 5.0, 100, 2), Metric("m", 9.0, 50, 1)])
    store.log_metric(run_id, Metric("m", 1.0, 10, 3))  # higher step wins despite older time
    assert latest(store, run_id)["m"] == (1.0, 10, 3)
    store.log_metric(run_id, Metric("m", 0.5, 20, 3))  # same step, newer timestamp wins
    store.log_metric(run_id, Metric("m", 0.7, 20, 3))  # same step and time, greater value wins
    store.log_metric(run_id, Metric("m", 0.6, 20, 3))  # smaller value loses
    store.log_metric(run_id, Metric("m", 99.0, 5, 2))  # lower step loses
    assert latest(store, run_id)["m"] == (0.7, 20, 3)


def test_latest_metric_within_one_batch_and_ties_keep_the_first(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 7, 4), Metric("m", 3.0, 7, 4), Metric("m", 2.0, 7, 4)],
    )
    assert latest(store, run_id)["m"] == (3.0, 7, 4)
    store.log_metric(run_id, Metric("m", 3.0, 7, 4))
    assert latest(store, run_id)["m"] == (3.0, 7, 4)


def test_nan_compares_as_zero_and_reads_back_as_nan(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("m", math.nan, 1, 1))
    value, _, _ = latest(store, run_id)["m"]
    assert math.isnan(value)
    store.log_metric(run_id, Metric("m", -1.0, 1, 1))  # -1 < 0 (NaN's stored value): NaN stays
    assert math.isnan(latest(store, run_id)["m"][0])
    store.log_metric(run_id, Metric("m", 0.5, 1, 1))  # 0.5 > 0: replaces NaN
    assert latest(store, run_id)["m"] == (0.5, 1, 1)
    assert store.get_run(run_id).to_json()["data"]["metrics"][0]["value"] == 0.5


def test_infinities_are_stored_as_the_largest_doubles(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("up", math.inf, 0, 0), Metric("down", -math.inf, 0, 0)])
    values = {key: value for key, (value, _, _) in latest(store, run_id).items()}
    assert values == {"up": 1.7976931348623157e308, "down": -1.7976931348623157e308}
    history = store.get_metric_history(run_id, "up").items
    assert [m.value for m in history] == [1.7976931348623157e308]


def test_relogging_an_identical_metric_is_a_no_op(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("m", 1.0, 1, 1))
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 1), Metric("m", 1.0, 1, 1)])
    store.log_metric(run_id, Metric("m", math.nan, 1, 1))
    store.log_metric(run_id, Metric("m", math.nan, 1, 1))
    history = store.get_metric_history(run_id, "m").items  # NaN is ordered as its stored 0
    assert len(history) == 2 and math.isnan(history[0].value) and history[1].value == 1.0


def test_metric_history_order_and_paging(store: TrackingStore, run_id: str) -> None:
    points = [
        Metric("h", float(v), ts, st) for v, ts, st in [(3, 2, 0), (1, 1, 5), (2, 2, 0), (0, 1, 1)]
    ]
    store.log_batch(run_id, metrics=points)
    ordered = [(m.timestamp, m.step, m.value) for m in store.get_metric_history(run_id, "h")]
    assert ordered == [(1, 1, 0.0), (1, 5, 1.0), (2, 0, 2.0), (2, 0, 3.0)]
    first = store.get_metric_history(run_id, "h", max_results=3)
    rest = store.get_metric_history(run_id, "h", 3, first.next_page_token)
    assert len(first) == 3 and first.next_page_token
    assert [m.value for m in rest] == [3.0] and rest.next_page_token is None
    assert store.get_metric_history(run_id, "unknown").items == []


def test_log_batch_writes_everything(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("acc", 0.9, 1, 0)],
        params=[Tag("lr", "0.1"), Tag("layers", "3")],
        tags=[Tag("team", "core"), Tag("team", "infra"), Tag("mlflow.runName", "batched")],
    )
    run = store.get_run(run_id)
    assert run.data.param_values() == {"layers": "3", "lr": "0.1"}
    assert run.data.tag_values()["team"] == "infra"
    assert run.info.run_name == "batched"
    assert latest(store, run_id) == {"acc": (0.9, 1, 0)}


def test_log_batch_is_atomic(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")
    with pytest.raises(StoreError, match="Changing param values"):
        store.log_batch(
            run_id,
            metrics=[Metric("acc", 0.9, 1, 0)],
            params=[Tag("fresh", "x"), Tag("lr", "0.2")],
            tags=[Tag("team", "core")],
        )
    run = store.get_run(run_id)
    assert run.data.metrics == [] and run.data.param_values() == {"lr": "0.1"}
    assert "team" not in run.data.tag_values()
    assert store.get_metric_history(run_id, "acc").items == []


def test_log_batch_fails_whole_when_a_late_statement_fails(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(StoreError, match="Logged model"):
        store.log_batch(
            run_id,
            metrics=[Metric("acc", 0.9, 1, 0), Metric("acc", 0.8, 2, 0, model_id="m-missing")],
            params=[Tag("p", "v")],
        )
    assert store.get_run(run_id).data.metrics == []
    assert store.get_run(run_id).data.params == []


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "says"),
    [
        (1001, 0, 0, "at most 1000 metrics"),
        (0, 101, 0, "at most 100 params"),
        (0, 0, 101, "at most 100 tags"),
        (901, 100, 0, "at most 1000 metrics, params, and tags"),
    ],
)
def test_log_batch_limits(
    store: TrackingStore, run_id: str, metrics: int, params: int, tags: int, says: str
) -> None:
    with pytest.raises(StoreError, match=says) as raised:
        store.log_batch(
            run_id,
            metrics=[Metric(f"m{i}", 1.0, 0, 0) for i in range(metrics)],
            params=[Tag(f"p{i}", "v") for i in range(params)],
            tags=[Tag(f"t{i}", "v") for i in range(tags)],
        )
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_log_batch_with_duplicate_param_keys_is_refused(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(StoreError, match="Duplicate parameter keys"):
        store.log_batch(run_id, params=[Tag("p", "1"), Tag("p", "2")])


def test_log_batch_with_a_malformed_run_id_is_refused(store: TrackingStore) -> None:
    with pytest.raises(StoreError, match="run_id") as raised:
        store.log_batch("../etc", metrics=[Metric("m", 1.0, 0, 0)])
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_log_batch_names_the_bad_entry(store: TrackingStore, run_id: str) -> None:
    with pytest.raises(StoreError, match=r"metrics\[1\]"):
        store.log_batch(run_id, metrics=[Metric("ok", 1.0, 0, 0), Metric("ok", 1.0, -5, 0)])


def test_full_batch_of_1000_metrics(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric(f"m{i % 10}", i, i, i) for i in range(1000)])
    assert latest(store, run_id)["m3"] == (993.0, 993, 993)
    assert len(store.get_metric_history(run_id, "m3").items) == 100


def test_metric_history_bulk_spans_runs(store: TrackingStore, experiment_id: str) -> None:
    first, second = (store.create_run(experiment_id, "me").info.run_id for _ in range(2))
    store.log_batch(first, metrics=[Metric("m", 1.0, 2, 0), Metric("m", 2.0, 1, 0)])
    store.log_batch(second, metrics=[Metric("m", 3.0, 0, 0), Metric("other", 4.0, 0, 0)])
    found = store.get_metric_history_bulk([first, second], "m", max_results=10)
    expected = sorted([(first, 1, 2.0), (first, 2, 1.0), (second, 0, 3.0)])
    assert [(run, m.timestamp, m.value) for run, m in found] == expected
    assert len(store.get_metric_history_bulk([first, second], "m", max_results=2)) == 2
