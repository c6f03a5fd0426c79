"""The real MLflow 3.18.0 client against `trackstore server` and `mlflow server` 3.18.0, side by
side.

Each server is started once per session on a new SQLite database and `mlflow server` is the one
beside the running Python (tests/live_server.py). The scenarios are tests/client_scenarios.py's,
which tests/mlflow_314 runs with MLflow 3.1.4's client; every answer is compared. Traces, which
3.18's client sends through the v3 API, are compared in this folder's test_traces*.py.
"""

from typing import Any

import pytest

from tests.live_server import LiveServer

pytest.importorskip("mlflow", minversion="3.18")
from mlflow import MlflowClient

from tests.client_scenarios import (
    SAME_ON_BOTH,
    Scenario,
    assert_same,
    assert_same_answers,
    check_pyfunc_answer,
    on_both,
    pyfunc_log_model_and_register,
    registered_models_versions_and_aliases,
    unknown_path_statuses,
)

pytestmark = [pytest.mark.mlflow_compat, pytest.mark.usefixtures("no_retries")]


@pytest.mark.parametrize(
    "scenario",
    [*SAME_ON_BOTH, registered_models_versions_and_aliases],
    ids=lambda scenario: scenario.__name__,
)
def test_scenario_answers_alike(servers: dict[str, LiveServer], scenario: Scenario) -> None:
    assert_same(servers, scenario)


def test_unknown_path_is_not_found_on_both(servers: dict[str, LiveServer]) -> None:
    assert unknown_path_statuses(servers) == {"mlflow": 404, "trackstore": 404}


def test_pyfunc_log_model_and_register(local_artifact_servers: dict[str, LiveServer]) -> None:
    theirs, ours = on_both(local_artifact_servers, pyfunc_log_model_and_register)
    check_pyfunc_answer(ours)
    assert_same_answers(theirs, ours)


def test_search_runs_lists_the_models_each_run_output(servers: dict[str, LiveServer]) -> None:
    from mlflow.entities import LoggedModelOutput

    def scenario(client: MlflowClient) -> Any:
        experiment = client.create_experiment("search-outputs")
        run = client.create_run(experiment, run_name="output").info.run_id
        model = client.create_logged_model(experiment, name="m", source_run_id=run).model_id
        client.log_outputs(run, [LoggedModelOutput(model, 3)])
        client.create_run(experiment, run_name="none")
        found = client.search_runs([experiment])
        return {
            "runs": found,
            "outputs": [[o.model_id for o in r.outputs.model_outputs] for r in found],
        }

    theirs, ours = on_both(servers, scenario)
    assert sorted(len(models) for models in ours["outputs"]) == [0, 1]
    assert_same_answers(theirs, ours)
