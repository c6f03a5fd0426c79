"""Write the rows of a database that MLflow 3.1.4 populated, as a JSON fixture for the tests.

tests/mlflow_compat/test_revision_data.py upgrades a database MLflow 3.1.4 wrote (tracking,
registry, logged models, traces) with trackstore and with MLflow 3.18.0 and compares the rows;
its environment has MLflow 3.18.0 only. This script is how the 3.1.4 rows are made again:

    /opt/mlflow-ref/bin/python ci/mlflow_314_rows.py tests/data/mlflow_314_rows.json

It runs MLflow 3.1.4's own client against a new SQLite database (its store, at bda7b8c39065),
logs one of each kind of thing a team keeps, and writes every table's rows as plain JSON
(strings, numbers, booleans, null), which the test inserts into a database of any dialect that
MLflow brought to the same revision. Clock times and ids are whatever the run made.
"""

import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

REVISION = "bda7b8c39065"
LONG = "x" * 6000


def main(target: Path) -> None:
    import mlflow
    import sqlalchemy as sa

    if mlflow.__version__ != "3.1.4":
        sys.exit(f"error: run this with MLflow 3.1.4 (found {mlflow.__version__}).")
    with tempfile.TemporaryDirectory(prefix="mlflow-314-rows-") as folder:
        uri = f"sqlite:///{Path(folder) / 'mlflow.db'}"
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        populate(mlflow.MlflowClient(), (Path(folder) / "artifacts").as_uri())
        engine = sa.create_engine(uri)
        try:
            tables = dump(engine)
        finally:
            engine.dispose()
    revision = tables.pop("alembic_version")[0]["version_num"]
    if revision != REVISION:
        sys.exit(f"error: MLflow left revision {revision}, not {REVISION}.")
    document = {"mlflow": mlflow.__version__, "revision": revision, "tables": tables}
    target.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {sum(map(len, tables.values()))} rows of {len(tables)} tables to {target}")


def populate(client: Any, artifacts: str) -> None:
    """One of each: experiments (one deleted), runs with params, metrics at the edges, tags,
    datasets and a logged model as input and output, a registry with stages, tags, aliases and
    a deleted version, logged models with params, tags and metrics, and traces."""
    experiment = client.create_experiment("tracking", artifacts, tags={"team": "search"})
    gone = client.create_experiment("retired", artifacts)
    client.delete_experiment(gone)
    model = client.create_logged_model(
        experiment, name="ranker", tags={"stage": "dev"}, params={"depth": "6"}
    )
    runs = [client.create_run(experiment, run_name=f"run {n}").info.run_id for n in range(3)]
    log_run(client, runs[0], model.model_id)
    client.log_param(runs[1], "long", LONG[:500])
    client.set_terminated(runs[1], "FAILED")
    client.delete_run(runs[2])
    client.log_metric(runs[0], "ndcg", 0.61, step=1, model_id=model.model_id)
    client.log_model_params(model.model_id, {"lr": "0.1"})
    client.set_logged_model_tags(model.model_id, {"owner": "ana"})
    client.finalize_logged_model(model.model_id, "READY")
    failed = client.create_logged_model(experiment, name="broken", source_run_id=runs[1])
    client.finalize_logged_model(failed.model_id, "FAILED")
    register(client, runs[0], model.model_id)
    trace(client, experiment)


def log_run(client: Any, run_id: str, model_id: str) -> None:
    from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelOutput, Metric

    client.log_param(run_id, "optimizer", "adam")
    client.log_param(run_id, "notes", LONG)
    client.set_tag(run_id, "long", LONG)
    values = [0.5, 0.25, math.nan, math.inf, -math.inf, -1.5e-300]
    metrics = [
        Metric("loss", value, 1_751_000_000_000 + step, step) for step, value in enumerate(values)
    ]
    client.log_batch(run_id, metrics=[*metrics, Metric("loss", 0.1, 1_751_000_000_000, 2)])
    dataset = Dataset("train", "d1g357", "local", '{"uri": "/data/train"}', '{"cols": 3}')
    tags = [InputTag("mlflow.data.context", "training")]
    client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags)])
    client.log_outputs(run_id, [LoggedModelOutput(model_id, step=3)])
    client.set_terminated(run_id, "FINISHED")


def register(client: Any, run_id: str, model_id: str) -> None:
    client.create_registered_model("ranker", tags={"domain": "search"}, description="ranks")
    versions = [
        client.create_model_version(
            "ranker", f"runs:/{run_id}/model", run_id, tags={"n": str(n)}, model_id=model_id
        ).version
        for n in range(3)
    ]
    client.set_model_version_tag("ranker", versions[0], "review", LONG)
    client.transition_model_version_stage("ranker", versions[1], "Production")
    client.set_registered_model_alias("ranker", "champion", versions[1])
    client.delete_model_version("ranker", versions[2])
    client.create_registered_model("empty")


def trace(client: Any, experiment: str) -> None:
    """Two traces, written as MLflow 3.1.4's span processor and exporter write them to a SQL
    store (their spans go to the artifact store, not to a table)."""
    from mlflow.entities.trace_status import TraceStatus

    store = client._tracking_client.store
    for name, status, started in (
        ("answer", TraceStatus.OK, 1_751_000_000_000),
        ("crash", TraceStatus.ERROR, 1_751_000_100_000),
    ):
        metadata = {"mlflow.trace_schema.version": "3", "mlflow.user": "ana"}
        tags = {"mlflow.traceName": name}
        info = store.start_trace(experiment, started, metadata, tags)
        ended = {"mlflow.traceInputs": '{"q": "why"}', "mlflow.traceOutputs": '"because"'}
        store.end_trace(info.request_id, started + 42, status, ended, {"reviewed": "yes"})


def dump(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in key order, holding only what JSON holds as it is."""
    import sqlalchemy as sa

    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: [
                {key: plain(name, key, value) for key, value in row.items()}
                for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for name, table in sorted(tables.tables.items())
        }


def plain(table: str, column: str, value: Any) -> Any:
    """`value` unchanged when JSON keeps it exactly; otherwise the script stops and says where."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    sys.exit(f"error: {table}.{column} holds {value!r}, which this fixture cannot keep as JSON.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python ci/mlflow_314_rows.py TARGET.json")
    main(Path(sys.argv[1]))
