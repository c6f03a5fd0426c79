"""POST /ajax-api/2.0/mlflow/runs/create-promptlab-run: a finished run that records one try of a
prompt in MLflow's prompt lab, as MLflow 3.18.0's server makes it.

The run gets the model parameters, `model_route` and `prompt_template` as params; the tags
mlflow.loggedArtifacts (the evaluation table) and mlflow.runSourceType = PROMPT_ENGINEERING; a
log-model history entry for its model; and these artifacts: `eval_results_table.json` (the
prompt's parameters, the prompt, the output and the output's parameters as one table row) and,
under `model/`, a pyfunc model of the prompt (MLmodel, parameters.yaml, its environment files and
input example). Anything that fails after the run exists leaves the run FAILED, not RUNNING.
"""

import importlib.metadata
import json
import platform
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from store.common.errors import StoreError
from store.server.artifacts import guarded, under_root
from store.server.fields import key_values
from store.server.messages import Message
from store.server.responses import json_response
from store.server.routing import AJAX_PREFIX, check_json_content_type, read_message
from store.server.stores import Stores
from store.tracking.entities import Run, Tag

REQUIRED = (
    "experiment_id",
    "prompt_template",
    "prompt_parameters",
    "model_route",
    "model_input",
    "mlflow_version",
)
# The MLflow release whose model format the server writes.
MLFLOW_VERSION = "3.18.0"
LOADER_MODULE = "mlflow.prompt.promptlab_model"
EVAL_TABLE = "eval_results_table.json"


def routes() -> list[BaseRoute]:
    path = AJAX_PREFIX + "/runs/create-promptlab-run"
    return [Route(path, guarded(create_promptlab_run, None), methods=["POST"])]


async def create_promptlab_run(request: Request) -> Response:
    check_json_content_type(request)
    message = await read_message(request)
    for name in REQUIRED:
        if not message.raw(name):
            raise StoreError(f"CreatePromptlabRun request must specify {name}.")
    stores: Stores = request.app.state.stores
    run = await run_in_threadpool(_create_run, stores, message)
    run_id = run.info.run_id
    try:
        model = await run_in_threadpool(_log, stores, run_id, message)
        destination, folder = await under_root(request, run.info.artifact_uri or "", "")
        for path, text in _artifacts(message, model).items():
            await destination.write(f"{folder}/{path}" if folder else path, _once(text))
    except Exception:
        status = "FAILED"
    else:
        status = "FINISHED"
    finished = await run_in_threadpool(_finish, stores, run, status)
    return json_response({"run": finished.to_json()})


def _create_run(stores: Stores, message: Message) -> Run:
    return stores.tracking.create_run(
        experiment_id=message.required_text("experiment_id"),
        user_id=message.text("user_id") or "unknown",
        start_time=message.integer("start_time") or int(time.time() * 1000),
        tags=key_values(message, "tags"),
        run_name=message.text("run_name") or None,
    )


def _finish(stores: Stores, run: Run, status: str) -> Run:
    stores.tracking.update_run_info(
        run.info.run_id,
        run_status=status,
        end_time=int(time.time() * 1000),
        run_name=run.info.run_name,
    )
    return stores.tracking.get_run(run.info.run_id)


async def _once(text: str) -> AsyncIterator[bytes]:
    yield text.encode()


def _log(stores: Stores, run_id: str, message: Message) -> dict[str, Any]:
    """Params, tags and the log-model history entry; the model's MLmodel fields."""
    params = [
        *_stringed(message, "model_parameters"),
        Tag("model_route", message.required_text("model_route")),
        Tag("prompt_template", message.required_text("prompt_template")),
    ]
    tags = [
        Tag("mlflow.loggedArtifacts", json.dumps([{"path": EVAL_TABLE, "type": "table"}])),
        Tag("mlflow.runSourceType", "PROMPT_ENGINEERING"),
    ]
    stores.tracking.log_batch(run_id, metrics=[], params=params, tags=tags)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    model = {
        "run_id": run_id,
        "artifact_path": "model",
        "utc_time_created": created,
        "model_uuid": uuid.uuid4().hex,
        "flavors": {},
    }
    stores.tracking.record_logged_model(run_id, model)
    return model


def _stringed(message: Message, name: str) -> list[Tag]:
    """A list of {key, value} whose values may be numbers; each value as text, as MLflow
    writes it."""
    return [Tag(str(item.raw("key")), str(item.raw("value"))) for item in message.objects(name)]


def _artifacts(message: Message, model: Mapping[str, Any]) -> dict[str, str]:
    """The run's artifact files by path: the evaluation table and the prompt's pyfunc model."""
    prompt = _stringed(message, "prompt_parameters")
    outputs = _stringed(message, "model_output_parameters")
    table = {
        "columns": [p.key for p in prompt] + ["prompt", "output"] + [p.key for p in outputs],
        "data": [
            [p.value for p in prompt]
            + [message.raw("model_input"), message.raw("model_output")]
            + [p.value for p in outputs]
        ],
    }
    requirement = f"mlflow[gateway]=={MLFLOW_VERSION}"
    example = {"inputs": [p.value for p in prompt]}
    return {
        EVAL_TABLE: json.dumps(table),
        "model/MLmodel": _yaml(_mlmodel(model, [p.key for p in prompt])),
        "model/parameters.yaml": _yaml(
            {
                "prompt_template": message.raw("prompt_template"),
                "prompt_parameters": {p.key: p.value for p in prompt},
                "model_parameters": {
                    p.key: p.value for p in _stringed(message, "model_parameters")
                },
                "model_route": message.raw("model_route"),
            }
        ),
        "model/input_example.json": json.dumps(example),
        "model/serving_input_example.json": json.dumps({"inputs": example}, indent=2),
        "model/requirements.txt": requirement,
        "model/conda.yaml": _yaml(_conda(requirement)),
        "model/python_env.yaml": _yaml(_python_env(), sort_keys=False),
    }


def _mlmodel(model: Mapping[str, Any], inputs: list[str]) -> dict[str, Any]:
    def columns(names: list[str]) -> str:
        return json.dumps([{"type": "string", "name": n, "required": True} for n in names])

    return {
        **model,
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": LOADER_MODULE,
                "parameters_path": "parameters.yaml",
                "python_version": platform.python_version(),
            }
        },
        "is_signature_from_type_hint": False,
        "mlflow_version": MLFLOW_VERSION,
        "model_id": None,
        "prompts": None,
        "saved_input_example_info": {
            "artifact_path": "input_example.json",
            "serving_input_path": "serving_input_example.json",
            "type": "json_object",
        },
        "signature": {"inputs": columns(inputs), "outputs": columns(["output"]), "params": None},
        "type_hint_from_example": False,
    }


def _conda(requirement: str) -> dict[str, Any]:
    return {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={platform.python_version()}",
            f"pip<={_version('pip')}",
            {"pip": [requirement]},
        ],
        "name": "mlflow-env",
    }


def _python_env() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "build_dependencies": [
            f"pip=={_version('pip')}",
            f"setuptools=={_version('setuptools')}",
            "wheel",
        ],
        "dependencies": ["-r requirements.txt"],
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _yaml(document: Mapping[str, Any], sort_keys: bool = True) -> str:
    text: str = yaml.safe_dump(dict(document), default_flow_style=False, sort_keys=sort_keys)
    return text
