"""Trace infos on every backend: start, end, read, tags, search and delete."""

import re

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from store.traces.trace_infos import TraceStore
from store.tracking.store import TrackingStore
from tests.store.expect import refused


@pytest.fixture(scope="module")
def traces(store: TrackingStore) -> TraceStore:
    return TraceStore(store.engine)


def test_start_returns_an_in_progress_trace_as_mlflow_shows_it(
    store: TrackingStore, traces: TraceStore, experiment_id: str
) -> None:
    trace = traces.start_trace(experiment_id, 1000, {"mlflow.sourceRun": "r1"}, {"a": "b"})
    assert re.fullmatch(r"[0-9a-f]{32}", trace.request_id)
    location = store.get_experiment(experiment_id).artifact_location
    assert trace.to_json() == {
        "request_id": trace.request_id,
        "experiment_id": experiment_id,
        "timestamp_ms": 1000,
        "execution_time_ms": 0,
        "status": "IN_PROGRESS",
        "request_metadata": [{"key": "mlflow.sourceRun", "value": "r1"}],
        "tags": [
            {"key": "a", "value": "b"},
            {
                "key": "mlflow.artifactLocation",
                "value": f"{location}/traces/{trace.request_id}/artifacts",
            },
        ],
    }
    assert traces.get_trace_info(trace.request_id) == trace


def test_start_needs_an_active_experiment(
    store: TrackingStore, traces: TraceStore, experiment_id: str
) -> None:
    refused(RESOURCE_DOES_NOT_EXIST, traces.start_trace, "987654", 1, {}, {})
    store.delete_experiment(experiment_id)
    refused(INVALID_PARAMETER_VALUE, traces.start_trace, experiment_id, 1, {}, {})


def test_end_sets_duration_status_and_merges(traces: TraceStore, experiment_id: str) -> None:
    started = traces.start_trace(experiment_id, 1000, {"m": "1"}, {"t": "1"})
    ended = traces.end_trace(started.request_id, 1250, "OK", {"m": "2", "n": "3"}, {"u": "4"})
    assert (ended.execution_time_ms, ended.status) == (250, "OK")
    assert ended.request_metadata == {"m": "2", "n": "3"}
    assert {k: v for k, v in ended.tags.items() if k != "mlflow.artifactLocation"} == {
        "t": "1",
        "u": "4",
    }
    refused(INVALID_PARAMETER_VALUE, traces.end_trace, started.request_id, 1, "DONE", {}, {})
    refused(RESOURCE_DOES_NOT_EXIST, traces.end_trace, "missing", 1, "OK", {}, {})


def test_json_cuts_long_metadata_and_tags(traces: TraceStore, experiment_id: str) -> None:
    trace = traces.start_trace(experiment_id, 1, {"m": "x" * 300}, {"t": "y" * 5000})
    rendered = trace.to_json()
    assert rendered["request_metadata"] == [{"key": "m", "value": "x" * 250}]
    assert {"key": "t", "value": "y" * 4096} in rendered["tags"]
    assert traces.get_trace_info(trace.request_id).tags["t"] == "y" * 5000


def test_get_missing_trace_is_does_not_exist(traces: TraceStore) -> None:
    error = refused(RESOURCE_DOES_NOT_EXIST, traces.get_trace_info, "missing")
    assert str(error) == "Trace with request_id 'missing' not found."


def test_set_and_delete_tags(traces: TraceStore, experiment_id: str) -> None:
    trace = traces.start_trace(experiment_id, 1, {}, {})
    traces.set_trace_tag(trace.request_id, "k", "1")
    traces.set_trace_tag(trace.request_id, "k", "2")
    traces.set_trace_tag(trace.request_id, "long", "z" * 9000)
    tags = traces.get_trace_info(trace.request_id).tags
    assert (tags["k"], len(tags["long"] or "")) == ("2", 8000)
    traces.delete_trace_tag(trace.request_id, "k")
    assert "k" not in traces.get_trace_info(trace.request_id).tags
    refused(RESOURCE_DOES_NOT_EXIST, traces.delete_trace_tag, trace.request_id, "k")
    refused(RESOURCE_DOES_NOT_EXIST, traces.set_trace_tag, "missing", "k", "v")
    refused(INVALID_PARAMETER_VALUE, traces.set_trace_tag, trace.request_id, "../k", "v")


@pytest.fixture
def three(traces: TraceStore, experiment_id: str) -> tuple[str, list[str]]:
    """Traces started at 100, 200 and 300 (named a, b, c; the middle one from run r2)."""
    ids = []
    for index, name in enumerate("abc"):
        metadata = {"mlflow.sourceRun": f"r{index + 1}"}
        trace = traces.start_trace(experiment_id, 100 * (index + 1), metadata, {})
        traces.end_trace(trace.request_id, 100 * (index + 1) + 10 * index, "OK", {}, {})
        traces.set_trace_tag(trace.request_id, "mlflow.traceName", name)
        ids.append(trace.request_id)
    traces.end_trace(ids[2], 400, "ERROR", {}, {"env": "prod"})
    return experiment_id, ids


def found(traces: TraceStore, experiment_id: str, text: str | None, **kwargs: object) -> list[str]:
    infos, _ = traces.search_traces([experiment_id], text, **kwargs)  # type: ignore[arg-type]
    return [info.tags["mlflow.traceName"] or "" for info in infos]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ["c", "b", "a"]),
        ("name = 'b'", ["b"]),
        ("run_id = 'r2'", ["b"]),
        ("status = 'ERROR'", ["c"]),
        ("attributes.status IN ('OK')", ["b", "a"]),
        ("timestamp >= 200 AND execution_time_ms < 100", ["b"]),
        ("tags.env = 'prod'", ["c"]),
        ("metadata.`mlflow.sourceRun` != 'r1'", ["c", "b"]),
    ],
)
def test_search_filters(
    traces: TraceStore, three: tuple[str, list[str]], text: str | None, expected: list[str]
) -> None:
    experiment_id, _ = three
    assert found(traces, experiment_id, text) == expected


def test_search_orders_and_pages(traces: TraceStore, three: tuple[str, list[str]]) -> None:
    experiment_id, _ = three
    assert found(traces, experiment_id, None, order_by=["timestamp_ms ASC"]) == ["a", "b", "c"]
    assert found(traces, experiment_id, None, order_by=["name DESC"]) == ["c", "b", "a"]
    assert found(traces, experiment_id, None, order_by=["tags.env"]) == ["c", "b", "a"]
    first, token = traces.search_traces([experiment_id], max_results=2)
    rest, last = traces.search_traces([experiment_id], max_results=2, page_token=token)
    assert [t.timestamp_ms for t in (*first, *rest)] == [300, 200, 100]
    assert last is None


@pytest.mark.parametrize(
    ("text", "max_results"),
    [
        ("tags.env LIKE 'p%'", 10),
        ("name IN ('a')", 10),
        ("request_id > 'a'", 10),
        ("params.x = '1'", 10),
        (None, 0),
        (None, 50_001),
    ],
)
def test_search_refusals(traces: TraceStore, text: str | None, max_results: int) -> None:
    refused(INVALID_PARAMETER_VALUE, traces.search_traces, ["0"], text, max_results)


def test_delete_by_time_oldest_first(traces: TraceStore, three: tuple[str, list[str]]) -> None:
    experiment_id, _ = three
    assert traces.delete_traces(experiment_id, max_timestamp_millis=250, max_traces=1) == 1
    assert found(traces, experiment_id, None) == ["c", "b"]
    assert traces.delete_traces(experiment_id, max_timestamp_millis=1000) == 2
    assert found(traces, experiment_id, None) == []


def test_delete_by_request_ids(traces: TraceStore, three: tuple[str, list[str]]) -> None:
    experiment_id, ids = three
    assert traces.delete_traces(experiment_id, request_ids=[ids[0], "missing"]) == 1
    assert found(traces, experiment_id, None) == ["c", "b"]
    refused(RESOURCE_DOES_NOT_EXIST, traces.get_trace_info, ids[0])


@pytest.mark.parametrize(
    ("max_timestamp_millis", "max_traces", "request_ids"),
    [(None, None, None), (5, None, ["a"]), (None, 1, ["a"]), (5, 0, None)],
)
def test_delete_refusals(
    traces: TraceStore,
    max_timestamp_millis: int | None,
    max_traces: int | None,
    request_ids: list[str] | None,
) -> None:
    refused(
        INVALID_PARAMETER_VALUE,
        traces.delete_traces,
        "0",
        max_timestamp_millis,
        max_traces,
        request_ids,
    )
