"""The real MLflow 3.1.4 client against `trackstore server` and `mlflow server` 3.1.4, side by side.

Each server is started once per session on a new SQLite database. The scenarios are
tests/client_scenarios.py's, which tests/mlflow_compat runs with MLflow 3.18.0's client; the
MLflow 3.1.4 client's trace API (v2) is exercised here only. trackstore serves MLflow 3.18.0's
head and follows 3.18 where it deliberately answers differently from 3.1.4: there the test
asserts 3.18's answer for trackstore and compares the rest with mlflow server 3.1.4.
"""

from typing import Any

import pytest

from tests.live_server import LiveServer

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

from tests.client_scenarios import (  # noqa: E402
    SAME_ON_BOTH,
    Scenario,
    assert_same,
    assert_same_answers,
    check_pyfunc_answer,
    error_code,
    on_both,
    pyfunc_log_model_and_register,
    registered_models_versions_and_aliases,
    unknown_path_statuses,
)

pytestmark = [pytest.mark.mlflow_314, pytest.mark.usefixtures("no_retries")]


@pytest.mark.parametrize("scenario", SAME_ON_BOTH, ids=lambda scenario: scenario.__name__)
def test_scenario_answers_alike(servers: dict[str, LiveServer], scenario: Scenario) -> None:
    assert_same(servers, scenario)


def test_unknown_path_is_not_found_on_both(servers: dict[str, LiveServer]) -> None:
    assert unknown_path_statuses(servers) == {"mlflow": 404, "trackstore": 404}


def test_registry_search_lists_latest_versions_by_stage_name_as_mlflow_318(
    servers: dict[str, LiveServer],
) -> None:
    """MLflow 3.18's search_registered_models lists a model's latest versions in order of
    stage name ('None' before 'Production'), 3.1.4's in another order; the rest of the
    registry scenario is compared with mlflow server 3.1.4."""
    theirs, ours = on_both(servers, registered_models_versions_and_aliases)
    (found,) = ours["search"]["items"]
    stages = [(v["version"], v["current_stage"]) for v in found["latest_versions"]]
    assert stages == [("2", "None"), ("1", "Production")]
    for answer in (theirs, ours):
        answer["search"]["items"][0]["latest_versions"].sort(key=lambda v: v["version"])
    assert_same_answers(theirs, ours)


def test_pyfunc_version_from_a_model_id_without_run_takes_its_source_run_as_mlflow_318(
    local_artifact_servers: dict[str, LiveServer],
) -> None:
    """MLflow 3.18 gives a version created with a model_id and no run_id the logged model's
    source run; 3.1.4 leaves its run_id empty. The rest of the pyfunc scenario is compared
    with mlflow server 3.1.4."""
    theirs, ours = on_both(local_artifact_servers, pyfunc_log_model_and_register)
    check_pyfunc_answer(ours)
    for answer, run_id in ((ours, ours["run"]["info"]["run_id"]), (theirs, "")):
        assert answer["local source"]["run_id"] == run_id
        assert answer["versions"]["items"][0]["run_id"] == run_id
    theirs["local source"]["run_id"] = theirs["run"]["info"]["run_id"]
    theirs["versions"]["items"][0]["run_id"] = theirs["run"]["info"]["run_id"]
    assert_same_answers(theirs, ours)


def test_trace_infos(servers: dict[str, LiveServer]) -> None:
    """The v2 trace API, which MLflow 3.18's client no longer has."""
    from mlflow.entities.trace_status import TraceStatus
    from mlflow.tracing.client import TracingClient

    def scenario(client: MlflowClient) -> Any:
        experiment_id = client.create_experiment("traces")
        tracing = TracingClient(client.tracking_uri)
        started = [
            tracing.start_trace(experiment_id, 1000 + i, {"source": f"s{i}"}, {"tag": str(i)})
            for i in range(3)
        ]
        ended = tracing.end_trace(
            started[0].request_id, 1500, TraceStatus.OK, {"extra": "x"}, {"late": "y"}
        )
        tracing.set_trace_tag(started[1].request_id, "marked", "yes")
        tracing.delete_trace_tag(started[1].request_id, "tag")
        infos, token = tracing.store.search_traces([experiment_id], max_results=2)
        deleted = tracing.delete_traces(experiment_id, request_ids=[started[2].request_id])
        return {
            "started": started,
            "ended": ended,
            "info": tracing.get_trace_info(started[1].request_id),
            "page": [info.request_metadata for info in infos],
            "more": token is not None,
            "deleted": deleted,
            "after": error_code(lambda: tracing.get_trace_info(started[2].request_id)),
        }

    assert_same(servers, scenario)
