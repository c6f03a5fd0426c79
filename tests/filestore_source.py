"""A file store (./mlruns) written by the installed MLflow's own client, for the import tests.

Several experiments (one deleted), runs in every state (one deleted), metric histories with
NaN and both infinities, keys holding "/", long params and tags, datasets with tags, a logged
model with params, tags and metrics given to and produced by a run, a trace with two
assessments, and a registered
model with tagged versions, aliases and stages. Only the MLflow environments can call it.
"""

import os
from pathlib import Path
from typing import Any

LONG_PARAM = "p" * 6000
LONG_TAG = "t" * 7000


def build_filestore(root: Path) -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    import mlflow
    from mlflow import MlflowClient
    from mlflow.store.tracking.file_store import FileStore

    uri = root.resolve().as_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, registry_uri=uri)
    train = client.create_experiment("train", tags={"team": "vision", "note": LONG_TAG})
    first = _run_with_history(client, train, "first")
    _second_run(client, train)
    client.delete_run(client.create_run(train, run_name="thrown-away").info.run_id)
    if hasattr(FileStore, "create_logged_model"):  # MLflow 3
        _logged_model(client, client.create_experiment("models"), first)
    _registry(client, first)
    gone = client.create_experiment("gone", tags={"why": "tried"})
    lost = client.create_run(gone, run_name="lost").info.run_id
    client.log_metric(lost, "loss", 0.5, timestamp=1, step=0)
    client.delete_experiment(gone)
    mlflow.set_experiment(experiment_id=train)
    with mlflow.start_span("predict") as span:
        span.set_inputs({"x": 1})
        span.set_outputs({"y": 2})
    # Traces are written by a background queue; the file store is complete once it is empty.
    mlflow.flush_trace_async_logging(terminate=True)
    if hasattr(FileStore, "create_assessment"):  # MLflow 3.2 and later
        trace_id = span.trace_id
        mlflow.log_feedback(trace_id=trace_id, name="good", value=True, rationale="fits")
        mlflow.log_expectation(trace_id=trace_id, name="answer", value={"y": 2})


def _run_with_history(client: Any, experiment_id: str, name: str) -> str:
    import mlflow
    import pandas as pd
    from mlflow.entities import Metric, Param, RunTag

    run_id: str = client.create_run(experiment_id, run_name=name, start_time=1000).info.run_id
    points = [Metric("loss", 1.0 / (step + 1), 2000 + step, step) for step in range(40)]
    points += [
        Metric("odd", float("nan"), 3000, 0),
        Metric("odd", float("inf"), 3001, 1),
        Metric("odd", float("-inf"), 3002, 2),
        Metric("eval/acc", 0.75, 3003, 0),
    ]
    params = [Param("lr", "0.01"), Param("long", LONG_PARAM), Param("opt/name", "adam")]
    tags = [RunTag("owner", "ana"), RunTag("long", LONG_TAG)]
    client.log_batch(run_id, metrics=points, params=params, tags=tags)
    frame = pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]})
    with mlflow.start_run(run_id=run_id):
        mlflow.log_input(mlflow.data.from_pandas(frame, name="iris"), context="train")
        mlflow.log_input(mlflow.data.from_pandas(frame.head(1), name="iris-eval"), context="eval")
    client.set_terminated(run_id, "FINISHED", end_time=9000)
    return run_id


def _second_run(client: Any, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id, run_name="second").info.run_id
    for step in range(5):
        client.log_metric(run_id, "loss", 0.1 * step, timestamp=100 + step, step=step)
    client.set_terminated(run_id, "FAILED")


def _logged_model(client: Any, experiment_id: str, trained_in: str) -> None:
    """A logged model, its metric, and the runs it came from and went into (MLflow 3)."""
    from mlflow.entities import LoggedModelInput, LoggedModelOutput

    run_id = client.create_run(experiment_id, run_name="fit").info.run_id
    model = client.create_logged_model(
        experiment_id, name="clf", source_run_id=run_id, params={"depth": "3"}, tags={"k": "v"}
    )
    client.log_metric(run_id, "auc", 0.9, timestamp=5, step=0, model_id=model.model_id)
    client.log_outputs(run_id, [LoggedModelOutput(model.model_id, 2)])
    client.log_inputs(trained_in, models=[LoggedModelInput(model.model_id)])
    client.finalize_logged_model(model.model_id, "READY")
    client.set_terminated(run_id)


def _registry(client: Any, run_id: str) -> None:
    client.create_registered_model("classifier", tags={"domain": "vision"}, description="v1")
    for number in (1, 2):
        client.create_model_version(
            "classifier", f"runs:/{run_id}/model", run_id=run_id, tags={"n": str(number)}
        )
    client.set_registered_model_alias("classifier", "champion", "1")
    client.set_registered_model_alias("classifier", "challenger", "2")
    client.transition_model_version_stage("classifier", "1", "Production")
    client.transition_model_version_stage("classifier", "2", "Staging")
    client.create_registered_model("empty")
