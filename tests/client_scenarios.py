"""Client scenarios that run against `trackstore server` and `mlflow server` side by side.

Shared by tests/mlflow_compat (MLflow 3.18.0's client and server) and tests/mlflow_314 (MLflow
3.1.4's): each scenario drives the client of the environment running the tests through
MlflowClient and the fluent API and returns what it saw; `on_both` runs it against both servers
and normalises the answers (generated ids and clock times as placeholders in the order they
appear) so that they can be compared.
"""

import difflib
import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow
import pytest
from google.protobuf.json_format import MessageToDict
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from tests.live_server import (
    START_TIMEOUT,
    LiveServer,
    free_port,
    mlflow_command,
    start,
    trackstore_command,
)

Scenario = Callable[[MlflowClient], Any]
HEX_ID = re.compile(r"\b(m-|tr-)?[0-9a-f]{32}\b")
EXPERIMENT_IN_URI = re.compile(r"(mlflow-artifacts:/)(\d+)")
DAY_MS = 86_400_000


def both_servers(
    root: Path, local_artifacts: bool = False, uris: Mapping[str, str] | None = None
) -> Iterator[dict[str, LiveServer]]:
    """mlflow server and trackstore server, each on its own new database (`uris` by server name,
    else SQLite files in `root`), stopped when the caller is done; `local_artifacts` gives each a
    file:// artifact root in `root`.

    A server must not inherit the experiment id an earlier test's set_experiment left in the
    environment: mlflow server would look that id up in its own database when logging."""
    started: dict[str, LiveServer] = {}
    try:
        for name in ("mlflow", "trackstore"):
            port = free_port()
            uri = uris[name] if uris else f"sqlite:///{root / f'{name}.db'}"
            extra = []
            if local_artifacts:
                extra = ["--default-artifact-root", (root / f"{name}-artifacts").as_uri()]
            command = (
                mlflow_command(uri, port, 1) + extra
                if name == "mlflow"
                else trackstore_command(uri, port, 1, extra)
            )
            with pytest.MonkeyPatch.context() as environment:
                environment.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
                started[name] = start(command, port, root / f"{name}.log", timeout=START_TIMEOUT)
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    """Both servers for the whole session (each folder's conftest offers it to its tests)."""
    yield from both_servers(tmp_path_factory.mktemp("servers"))


@pytest.fixture(scope="session")
def local_artifact_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, LiveServer]]:
    """Both servers keeping artifacts in a local folder the client writes to directly."""
    yield from both_servers(tmp_path_factory.mktemp("local-artifacts"), local_artifacts=True)


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail fast: an error answer must not be retried for minutes by the client."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def on_both(servers: dict[str, LiveServer], scenario: Scenario) -> tuple[Any, Any]:
    """The normalised answers of `scenario` from mlflow server and from trackstore server."""
    answers = []
    for name in ("mlflow", "trackstore"):
        mlflow.set_tracking_uri(servers[name].url)
        try:
            answers.append(normalise(scenario(MlflowClient(servers[name].url))))
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()
    return answers[0], answers[1]


def assert_same(servers: dict[str, LiveServer], scenario: Scenario) -> None:
    """Fail, with a diff, unless `scenario` answers alike on both servers."""
    assert_same_answers(*on_both(servers, scenario))


def assert_same_answers(theirs: Any, ours: Any) -> None:
    if ours != theirs:
        lines = difflib.unified_diff(
            json.dumps(theirs, indent=1, sort_keys=True, default=str).splitlines(),
            json.dumps(ours, indent=1, sort_keys=True, default=str).splitlines(),
            f"mlflow server {mlflow.__version__}",
            "trackstore server",
            lineterm="",
        )
        pytest.fail("answers differ:\n" + "\n".join(lines), pytrace=False)


def plain(value: Any) -> Any:
    """MLflow entities, pages and containers as plain JSON-like data."""
    if hasattr(value, "to_proto"):
        return MessageToDict(value.to_proto(), preserving_proto_field_name=True)
    if hasattr(value, "token") and isinstance(value, list):
        return {"items": [plain(v) for v in value], "more": bool(value.token)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def normalise(answer: Any) -> Any:
    """`answer` with run, model and trace ids, experiment ids and clock times as placeholders,
    and key/value lists (tags, params, metrics) sorted by key, as neither server orders them."""
    data = plain(answer)
    experiments: dict[str, str] = {"0": "0"}
    hex_ids: dict[str, str] = {}
    now = time.time() * 1000

    def experiment(value: str) -> str:
        return experiments.setdefault(value, f"<experiment {len(experiments)}>")

    def text(value: str) -> str:
        value = HEX_ID.sub(lambda m: hex_ids.setdefault(m[0], f"<id {len(hex_ids)}>"), value)
        return EXPERIMENT_IN_URI.sub(lambda m: m[1] + experiment(m[2]), value)

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [walk(v, key) for v in value]
            if items and all(isinstance(v, dict) and "key" in v for v in items):
                items.sort(key=lambda item: str(item["key"]))
            return items
        if key in ("experiment_id", "experiment_ids") and isinstance(value, str):
            return experiment(value)
        if isinstance(value, str):
            if value.isdigit() and abs(int(value) - now) < DAY_MS:
                return "<clock>"
            return text(value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value - now) < DAY_MS:
            return "<clock>"
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        return value

    return walk(data)


def error_code(call: Callable[[], Any]) -> str:
    try:
        call()
    except MlflowException as exc:
        return exc.error_code
    return "no error"


def experiments_lifecycle(client: MlflowClient) -> Any:
    first = client.create_experiment("exp-life", tags={"team": "a", "empty": ""})
    second = client.create_experiment("exp-life-2", artifact_location="s3://bucket/path")
    client.set_experiment_tag(first, "stage", "dev")
    client.rename_experiment(second, "exp-life-renamed")
    client.delete_experiment(second)
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    client.restore_experiment(second)
    return {
        "got": client.get_experiment(first),
        "by name": client.get_experiment_by_name("exp-life-renamed"),
        "missing": client.get_experiment_by_name("no-such-experiment"),
        "deleted": [e.name for e in deleted],
        "active": [
            e.name for e in client.search_experiments(filter_string="name LIKE 'exp-life%'")
        ],
        "ordered": [
            e.name for e in client.search_experiments(order_by=["name DESC"], max_results=2)
        ],
        "duplicate": error_code(lambda: client.create_experiment("exp-life")),
        "unknown": error_code(lambda: client.get_experiment("987654")),
    }


def fluent_run_logging(client: MlflowClient) -> Any:
    experiment = mlflow.set_experiment("fluent-runs")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_params({"lr": "0.1", "layers": 3})
        for step in range(5):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("inf", float("inf"))
        mlflow.set_tags({"kind": "test", "owner": "me"})
    with mlflow.start_run(run_name="second"):
        mlflow.log_metric("loss", 0.5)
    run_id = run.info.run_id
    return {
        "run": client.get_run(run_id),
        "history": client.get_metric_history(run_id, "loss"),
        "search": [
            (r.info.run_name, r.data.metrics)
            for r in client.search_runs(
                [experiment.experiment_id],
                filter_string="metrics.loss < 0.9",
                order_by=["metrics.loss ASC"],
            )
        ],
        "by params": [
            r.info.run_name
            for r in client.search_runs(
                [experiment.experiment_id], filter_string="params.lr = '0.1'"
            )
        ],
    }


def client_batch_tags_and_status(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("client-runs")
    run = client.create_run(experiment_id, run_name="batch", tags={"a": "1"}, start_time=1000)
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 2000 + i, i) for i in range(10)],
        params=[Param("p", "v")],
        tags=[RunTag("t", "x")],
    )
    client.log_param(run_id, "single", "value")
    client.set_tag(run_id, "gone", "soon")
    client.delete_tag(run_id, "gone")
    client.set_terminated(run_id, "FAILED", end_time=5000)
    client.update_run(run_id, name="renamed")
    return {
        "run": client.get_run(run_id),
        "changed param": error_code(lambda: client.log_param(run_id, "single", "other")),
        "unknown run": error_code(lambda: client.get_run("0" * 32)),
    }


def delete_and_restore_runs(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("deletions")
    kept = client.create_run(experiment_id, run_name="kept").info.run_id
    dropped = client.create_run(experiment_id, run_name="dropped").info.run_id
    client.delete_run(dropped)
    views = {
        view: sorted(r.info.run_name for r in client.search_runs([experiment_id], "", view))
        for view in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
    }
    logging_to_deleted = error_code(lambda: client.log_param(dropped, "k", "v"))
    client.restore_run(dropped)
    return {
        "views": views,
        "logging to deleted": logging_to_deleted,
        "restored": client.get_run(dropped).info.lifecycle_stage,
        "kept": client.get_run(kept).info.lifecycle_stage,
    }


def search_runs_pages(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("paging")
    for index in range(5):
        run_id = client.create_run(experiment_id, run_name=f"r{index}").info.run_id
        client.log_metric(run_id, "score", index, timestamp=1, step=0)
    first = client.search_runs([experiment_id], max_results=2, order_by=["metrics.score"])
    second = client.search_runs(
        [experiment_id], max_results=2, order_by=["metrics.score"], page_token=first.token
    )
    return [[r.info.run_name for r in first], [r.info.run_name for r in second]]


def registered_models_versions_and_aliases(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("registry-runs")
    run_id = client.create_run(experiment_id, run_name="trainer").info.run_id
    client.create_registered_model("reg-a", tags={"k": "v"}, description="first")
    client.set_registered_model_tag("reg-a", "extra", "1")
    versions = [
        client.create_model_version("reg-a", f"runs:/{run_id}/model", run_id, tags={"n": str(i)})
        for i in range(3)
    ]
    client.set_model_version_tag("reg-a", "1", "checked", "yes")
    client.set_registered_model_alias("reg-a", "champion", "2")
    client.transition_model_version_stage("reg-a", "1", "Production")
    client.update_model_version("reg-a", "3", description="third")
    answer = {
        "versions": versions,
        "by alias": client.get_model_version_by_alias("reg-a", "champion"),
        "model": client.get_registered_model("reg-a"),
        "latest": client.get_latest_versions("reg-a", stages=["Production", "None"]),
        "search versions": client.search_model_versions("name = 'reg-a'"),
        "versions by query string": client.search_model_versions(
            "name = 'reg-a'",
            max_results=2,
            order_by=["name DESC", "version_number DESC"],
        ),
        "download": client.get_model_version_download_uri("reg-a", "2"),
        "bad source": error_code(
            lambda: client.create_model_version("reg-a", "s3://b/../etc", run_id)
        ),
    }
    client.delete_registered_model_alias("reg-a", "champion")
    client.delete_model_version_tag("reg-a", "1", "checked")
    client.delete_model_version("reg-a", "3")
    client.rename_registered_model("reg-a", "reg-b")
    client.update_registered_model("reg-b", description="renamed")
    client.delete_registered_model_tag("reg-b", "extra")
    answer["after"] = client.get_registered_model("reg-b")
    answer["search"] = client.search_registered_models(filter_string="name LIKE 'reg-%'")
    answer["missing alias"] = error_code(
        lambda: client.get_model_version_by_alias("reg-b", "champion")
    )
    client.delete_registered_model("reg-b")
    answer["deleted"] = error_code(lambda: client.get_registered_model("reg-b"))
    return answer


def logged_models(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("logged-models")
    run_id = client.create_run(experiment_id, run_name="source").info.run_id
    model = client.create_logged_model(
        experiment_id,
        name="net",
        source_run_id=run_id,
        tags={"t": "1"},
        params={"p": "2"},
        model_type="agent",
    )
    other = client.create_logged_model(experiment_id, name="other")
    client.log_model_params(model.model_id, {"extra": "3"})
    client.set_logged_model_tags(model.model_id, {"u": "v", "gone": "x"})
    client.delete_logged_model_tag(model.model_id, "gone")
    ready = client.finalize_logged_model(model.model_id, "READY")
    client.delete_logged_model(other.model_id)
    return {
        "ready": ready,
        "got": client.get_logged_model(model.model_id),
        "search": client.search_logged_models([experiment_id]),
        "filtered": client.search_logged_models(
            [experiment_id], filter_string="name = 'net'", order_by=[{"field_name": "name"}]
        ),
    }


def get_run_outputs_after_logging_model_inputs(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("inputs")
    run_id = client.create_run(experiment_id, run_name="with-inputs").info.run_id
    model = client.create_logged_model(experiment_id, name="in")
    from mlflow.entities import LoggedModelInput

    client.log_inputs(run_id, models=[LoggedModelInput(model.model_id)])
    return client.get_run(run_id).inputs


def metric_history_and_dataset_inputs(client: MlflowClient) -> Any:
    from mlflow.entities import Dataset, DatasetInput, InputTag

    experiment_id = client.create_experiment("history")
    run_id = client.create_run(experiment_id, run_name="long").info.run_id
    client.log_batch(run_id, metrics=[Metric("x", i * 0.5, 100 + i, i % 7) for i in range(40)])
    dataset = Dataset("train", "d1g3st", "local", "/data/train.csv", '{"a": 1}', None)
    context = [InputTag("mlflow.data.context", "training")]
    client.log_inputs(run_id, datasets=[DatasetInput(dataset, context)])
    return {
        "history": client.get_metric_history(run_id, "x"),
        "unknown key": client.get_metric_history(run_id, "nope"),
        "inputs": client.get_run(run_id).inputs,
    }


def refusals_carry_the_same_error_codes(client: MlflowClient) -> Any:
    experiment_id = client.create_experiment("refusals")
    run_id = client.create_run(experiment_id, run_name="r").info.run_id
    return {
        "too many params": error_code(
            lambda: client.log_batch(run_id, params=[Param(f"p{i}", "v") for i in range(101)])
        ),
        "bad filter": error_code(lambda: client.search_runs([experiment_id], "metrics.x >")),
        "bad order": error_code(
            lambda: client.search_runs([experiment_id], order_by=["nonsense.key"])
        ),
        "deleted experiment": error_code(
            lambda: (
                client.delete_experiment(experiment_id),
                client.create_run(experiment_id),
            )
        ),
        "no such model": error_code(lambda: client.get_registered_model("absent")),
        "no such version": error_code(lambda: client.get_model_version("absent", "1")),
        "no such logged model": error_code(lambda: client.get_logged_model("m-" + "0" * 32)),
    }


def invalid_state_has_mlflows_status(client: MlflowClient) -> Any:
    import requests

    experiment_id = client.create_experiment("renamed-while-deleted")
    client.delete_experiment(experiment_id)
    answer = requests.post(
        f"{client.tracking_uri}/api/2.0/mlflow/experiments/update",
        json={"experiment_id": experiment_id, "new_name": "other"},
        timeout=10,
    )
    return answer.status_code, answer.json()["error_code"]


def unknown_path_statuses(servers: dict[str, LiveServer]) -> dict[str, int]:
    """The HTTP status each server gives a path under the REST API that names no endpoint."""
    import requests

    return {
        name: requests.get(f"{server.url}/api/2.0/mlflow/no-such-endpoint", timeout=10).status_code
        for name, server in servers.items()
    }


def ui_metric_history_bulk(client: MlflowClient) -> Any:
    import requests

    experiment_id = client.create_experiment("history-bulk")
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    for index, run_id in enumerate(run_ids):
        metrics = [Metric("loss", step / (index + 1), 50 + step, step) for step in range(4)]
        client.log_batch(run_id, metrics=metrics)
    url = f"{client.tracking_uri}/ajax-api/2.0/mlflow/metrics/get-history-bulk"
    answer = requests.get(url, params={"run_id": run_ids, "metric_key": "loss"}, timeout=10)
    capped = requests.get(
        url, params={"run_id": run_ids, "metric_key": "loss", "max_results": 3}, timeout=10
    )
    return {
        "all": in_run_id_order(answer.json(), run_ids),
        "capped": in_run_id_order(capped.json(), run_ids),
        "status": answer.status_code,
    }


def in_run_id_order(body: dict[str, Any], run_ids: list[str]) -> list[tuple[Any, ...]]:
    """The rows as (rank of the run id, step, timestamp, value x the run's divisor, key).

    Both servers order by run id, and each made its own random ids: the rank keeps that
    order comparable, and undoing the per-run divisor makes the values comparable.
    """
    rank = sorted(run_ids)
    return [
        (
            rank.index(m["run_id"]),
            m["step"],
            m["timestamp"],
            m["value"] * (run_ids.index(m["run_id"]) + 1),
            m["key"],
        )
        for m in body["metrics"]
    ]


UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")


def relocated(answer: Any, location: str) -> Any:
    """`answer` as plain data with the experiment's artifact location and the MLmodel creation
    times as placeholders: each server has its own artifact folder and logs at its own time."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            value = value.replace(location, "<experiment artifacts>")
            return UTC_TIME.sub("<utc time>", value)
        return value

    return walk(plain(answer))


def pyfunc_log_model_and_register(client: MlflowClient) -> Any:
    """A pyfunc model logged in a run, registered four ways, recorded twice and loaded back;
    needs servers whose artifact root is a local folder the client writes to."""
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.entities import LoggedModelOutput
    from mlflow.models import Model

    class Echo(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined, misc]
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input

    experiment = mlflow.set_experiment("pyfunc-models")
    with mlflow.start_run(run_name="trainer") as run:
        mlflow.log_metric("loss", 0.25, step=0)
        info = mlflow.pyfunc.log_model(name="echo", python_model=Echo())
    run_id, model_id = run.info.run_id, info.model_id
    model = client.get_logged_model(model_id)
    answer = {
        "registered": mlflow.register_model(info.model_uri, "pyfunc-reg"),
        "by run uri": mlflow.register_model(f"runs:/{run_id}/echo", "pyfunc-reg"),
        "by model id": client.create_model_version(
            "pyfunc-reg", info.model_uri, run_id, model_id=model_id
        ),
        "local source": client.create_model_version(
            "pyfunc-reg", model.artifact_location, model_id=model_id
        ),
        "local source outside the model": error_code(
            lambda: client.create_model_version(
                "pyfunc-reg", experiment.artifact_location, model_id=model_id
            )
        ),
        "output twice": error_code(
            lambda: client.log_outputs(run_id, [LoggedModelOutput(model_id, 1)])
        ),
    }
    mlmodel = Model.load(info.model_uri)
    client._record_logged_model(run_id, mlmodel)
    client._record_logged_model(run_id, mlmodel)
    loaded = mlflow.pyfunc.load_model("models:/pyfunc-reg/2")
    answer |= {
        "run": client.get_run(run_id),
        "logged model": client.get_logged_model(model_id),
        "versions": client.search_model_versions("name = 'pyfunc-reg'"),
        "download": client.get_model_version_download_uri("pyfunc-reg", "4"),
        "prediction": loaded.predict(pd.DataFrame({"x": [1, 2]})).to_dict("list"),
    }
    return relocated(answer, experiment.artifact_location)


def check_pyfunc_answer(ours: Any) -> None:
    """What trackstore's answer to pyfunc_log_model_and_register must hold whatever the other
    server says: the run's model output, the model history and all four versions."""
    run_tags = {tag["key"]: tag["value"] for tag in ours["run"]["data"]["tags"]}
    assert ours["run"]["outputs"]["model_outputs"] == [{"model_id": "<id 0>", "step": "0"}]
    assert json.loads(run_tags["mlflow.log-model.history"])[1]["model_uuid"] == "<id 0>"
    assert [v["version"] for v in ours["versions"]["items"]] == ["4", "3", "2", "1"]


# Scenarios whose whole answer both servers must give alike, in either client version.
SAME_ON_BOTH: list[Scenario] = [
    experiments_lifecycle,
    fluent_run_logging,
    client_batch_tags_and_status,
    delete_and_restore_runs,
    search_runs_pages,
    logged_models,
    get_run_outputs_after_logging_model_inputs,
    metric_history_and_dataset_inputs,
    refusals_carry_the_same_error_codes,
    ui_metric_history_bulk,
    invalid_state_has_mlflows_status,
]
