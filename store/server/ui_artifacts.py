"""The artifact routes of MLflow's UI: its upload of a file to a run, a run's folder listing, and
a logged model's folders and files.

- POST /ajax-api/2.0/mlflow/upload-artifact?run_id=..&path=.. with the file as the body, at most
  10 MB (the UI's drag and drop);
- GET {/api,/ajax-api}/2.0/mlflow/logged-models/{id}/artifacts/directories, a folder's listing;
- GET /ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files?artifact_file_path=.., a file;
- GET {/api,/ajax-api}/2.0/mlflow/artifacts/list?run_id=..&path=.., a run's folder listing.

Each path passes `safe_relative_path` and lands under the run's or model's artifact root, which
the proxy's destination keeps for an `mlflow-artifacts` root.
"""

import posixpath
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from store.artifact_destinations.paths import safe_relative_path
from store.common.errors import BAD_REQUEST, NOT_IMPLEMENTED, StoreError
from store.server.artifacts import guarded, root_destination, send_file, under_root
from store.server.responses import JSON, json_response
from store.server.routing import AJAX_PREFIX, PREFIXES, read_message
from store.server.stores import Stores

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOO_LARGE = "Artifact size is too large. Max size is 10MB."


def routes() -> list[BaseRoute]:
    models = "/logged-models/{model_id}/artifacts"
    return [
        Route(AJAX_PREFIX + "/upload-artifact", guarded(upload, None), methods=["POST"]),
        Route(AJAX_PREFIX + models + "/files", guarded(model_file, None), methods=["GET"]),
        *[
            Route(prefix + path, guarded(handler, None), methods=["GET"])
            for prefix in PREFIXES
            for path, handler in (
                (models + "/directories", model_folder),
                ("/artifacts/list", run_folder),
            )
        ],
    ]


async def upload(request: Request) -> Response:
    """Store the body as the run artifact `path`; MLflow's checks, in MLflow's order."""
    query = request.query_params
    run_id = query.get("run_id") or query.get("run_uuid")
    if not run_id:
        raise StoreError("Request must specify run_id or run_uuid.")
    if not query.get("path"):
        raise StoreError("Request must specify path.")
    path = safe_relative_path(query["path"])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise StoreError(TOO_LARGE)
    data = await _body(request)
    run = await run_in_threadpool(_stores(request).tracking.get_run, run_id)
    destination, full = await under_root(request, run.info.artifact_uri or "", path)
    await destination.write(full, _once(data))
    return Response(media_type=JSON)


async def _body(request: Request) -> bytes:
    """The upload's bytes, refused once past the limit rather than read whole."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:
            raise StoreError(TOO_LARGE)
    if not data:
        raise StoreError("Request must specify data.")
    return bytes(data)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def model_folder(request: Request) -> Response:
    """The files and folders directly under a folder of the model's artifacts."""
    asked = request.query_params.get("artifact_directory_path")
    folder = "" if asked is None else safe_relative_path(asked)
    model = await run_in_threadpool(
        _stores(request).logged_models.get_logged_model, request.path_params["model_id"]
    )
    found = await run_in_threadpool(listing, request, model.artifact_location, folder)
    return json_response(found)


async def run_folder(request: Request) -> Response:
    """GET artifacts/list: the files and folders directly under `path` in a run's artifacts."""
    message = await read_message(request)
    run_id = message.text("run_id") or message.text("run_uuid")
    if not run_id:
        raise message.missing("run_id")
    path = message.text("path")
    folder = "" if path is None else safe_relative_path(path)
    run = await run_in_threadpool(_stores(request).tracking.get_run, run_id)
    found = await run_in_threadpool(listing, request, run.info.artifact_uri or "", folder)
    return json_response(found)


def listing(request: Request, root_uri: str, folder: str) -> dict[str, Any]:
    """MLflow's ListArtifacts answer: the root, and each entry's path from the root."""
    destination, full = root_destination(request, root_uri, folder)
    files = [
        {**entry.to_json(), "path": posixpath.join(folder, entry.name) if folder else entry.name}
        for entry in destination.entries(full)
    ]
    return {"root_uri": root_uri, **({"files": files} if files else {})}


async def model_file(request: Request) -> Response:
    path = request.query_params.get("artifact_file_path")
    if not path:
        raise StoreError(
            'Request must include the "artifact_file_path" query parameter.', BAD_REQUEST
        )
    checked = safe_relative_path(path)
    model = await run_in_threadpool(
        _stores(request).logged_models.get_logged_model, request.path_params["model_id"]
    )
    if request.query_params.get("presigned") == "true":
        raise StoreError(
            "Presigned download is not supported for the current artifact repository",
            NOT_IMPLEMENTED,
        )
    return await send_file(request, model.artifact_location, checked)


def _stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores
