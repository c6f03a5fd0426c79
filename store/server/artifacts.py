"""MLflow's artifact proxy: uploads, downloads, listings, deletions and multipart uploads under
`/api/2.0/mlflow-artifacts/` (and `/ajax-api/2.0/mlflow-artifacts/`), plus `/get-artifact` and
`/model-versions/get-artifact`, which MLflow's UI and older clients call.

Bodies stream both ways; every client path passes `safe_relative_path` before it reaches the
destination. With --no-serve-artifacts the proxy's paths answer 503 as MLflow's do.
"""

import mimetypes
import posixpath
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from pathlib import PurePosixPath

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from store.artifact_destinations import local_root, open_destination
from store.artifact_destinations.base import Destination, Part
from store.artifact_destinations.paths import safe_file_name, safe_relative_path
from store.common.errors import StoreError
from store.server.artifact_flags import ArtifactServing
from store.server.messages import Message
from store.server.responses import failure_response, json_response
from store.server.routing import read_message
from store.server.stores import Stores

PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
HTTP_ANCHOR = "/api/2.0/mlflow-artifacts/artifacts/"
# MLflow sends these extensions (and MLmodel, MLproject) as text/plain.
TEXT_EXTENSIONS = frozenset(
    {
        "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon",
        "toml", "yaml", "yml", "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst",
        "MLmodel", "MLproject",
    }
)  # fmt: skip
Handler = Callable[[Request], Awaitable[Response]]
TRACKING_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow", "/api/3.0/mlflow")
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes(serving: ArtifactServing) -> list[BaseRoute]:
    """The proxy's routes, answering 503 when artifacts are not served."""
    proxied: list[tuple[str, Handler, str]] = [
        ("/artifacts", list_artifacts, "GET"),
        ("/artifacts/{artifact_path:path}", download, "GET"),
        ("/artifacts/{artifact_path:path}", upload, "PUT"),
        ("/artifacts/{artifact_path:path}", delete, "DELETE"),
        ("/mpu/create/{artifact_path:path}", create_multipart, "POST"),
        ("/mpu/complete/{artifact_path:path}", complete_multipart, "POST"),
        ("/mpu/abort/{artifact_path:path}", abort_multipart, "POST"),
    ]
    found: list[BaseRoute] = [
        Route(prefix + path, guarded(handler, serving), methods=[method])
        for prefix in PREFIXES
        for path, handler, method in proxied
    ]
    if serving.only:
        return found + [
            Route(prefix + "/{rest:path}", _tracking_disabled, methods=list(ALL_METHODS))
            for prefix in TRACKING_PREFIXES
        ]
    found += [
        Route("/get-artifact", guarded(run_artifact, None), methods=["GET"]),
        Route(
            "/model-versions/get-artifact",
            guarded(model_version_artifact, None),
            methods=["GET"],
        ),
    ]
    return found


async def _tracking_disabled(request: Request) -> Response:
    return PlainTextResponse(
        f"Endpoint: {request.url.path} disabled due to the mlflow server running in "
        "`--artifacts-only` mode. To enable tracking server functionality, run `mlflow server` "
        "without `--artifacts-only`",
        503,
    )


def guarded(handler: Handler, serving: ArtifactServing | None) -> Handler:
    async def endpoint(request: Request) -> Response:
        if serving is not None and not serving.serve:
            return PlainTextResponse(
                f"Endpoint: {request.url.path} disabled due to the mlflow server running with "
                "`--no-serve-artifacts`. To enable artifacts server functionality, run "
                "`mlflow server` with `--serve-artifacts`",
                503,
            )
        try:
            return await handler(request)
        except Exception as exc:
            return failure_response(exc)

    endpoint.__name__ = handler.__name__
    return endpoint


def _destination(request: Request) -> Destination:
    destination: Destination = request.app.state.destination
    return destination


def _path(request: Request) -> str:
    return safe_relative_path(request.path_params["artifact_path"])


async def download(request: Request) -> Response:
    path = _path(request)
    chunks = await run_in_threadpool(_destination(request).read, path)
    return _attachment(chunks, path)


async def upload(request: Request) -> Response:
    path = _path(request)
    await _destination(request).write(path, request.stream())
    return json_response(None)


async def list_artifacts(request: Request) -> Response:
    path = safe_relative_path(request.query_params.get("path", ""))
    entries = await run_in_threadpool(_destination(request).entries, path)
    return json_response({"files": [entry.to_json() for entry in entries]} if entries else None)


async def delete(request: Request) -> Response:
    path = _path(request)
    await run_in_threadpool(_destination(request).delete, path)
    return json_response(None)


async def create_multipart(request: Request) -> Response:
    path, message = await _multipart_target(request)
    num_parts = message.integer("num_parts", 1)
    answer = await run_in_threadpool(_destination(request).create_multipart, path, num_parts)
    return json_response(answer)


async def complete_multipart(request: Request) -> Response:
    path, message = await _multipart_target(request)
    parts = [
        Part(part.required_integer("part_number"), part.text("etag", ""))
        for part in message.objects("parts")
    ]
    upload_id = message.text("upload_id", "")
    await run_in_threadpool(_destination(request).complete_multipart, path, upload_id, parts)
    return json_response(None)


async def abort_multipart(request: Request) -> Response:
    path, message = await _multipart_target(request)
    upload_id = message.text("upload_id", "")
    await run_in_threadpool(_destination(request).abort_multipart, path, upload_id)
    return json_response(None)


async def _multipart_target(request: Request) -> tuple[str, Message]:
    """The file a multipart request is about: the URL's folder and the base name of the
    client's local file (`path` in the body), as MLflow joins them."""
    folder = _path(request)
    message = await read_message(request)
    name = safe_file_name(PurePosixPath(message.required_text("path")).name)
    return posixpath.join(folder, name) if folder else name, message


async def run_artifact(request: Request) -> Response:
    message = await read_message(request)
    path = safe_relative_path(message.required_text("path"))
    stores: Stores = request.app.state.stores
    run = await run_in_threadpool(stores.tracking.get_run, message.run_id())
    return await send_file(request, run.info.artifact_uri or "", path)


async def model_version_artifact(request: Request) -> Response:
    message = await read_message(request)
    path = safe_relative_path(message.required_text("path"))
    stores: Stores = request.app.state.stores
    uri = await run_in_threadpool(
        stores.registry.get_model_version_download_uri,
        message.required_text("name"),
        message.required_text("version"),
    )
    return await send_file(request, uri, path)


async def send_file(request: Request, root_uri: str, path: str) -> Response:
    """The file `path` under the artifact root `root_uri`, as an attachment."""
    destination, full = await under_root(request, root_uri, path)
    chunks = await run_in_threadpool(destination.read, full)
    return _attachment(chunks, path)


async def under_root(request: Request, root_uri: str, path: str) -> tuple[Destination, str]:
    return await run_in_threadpool(root_destination, request, root_uri, path)


def root_destination(request: Request, root_uri: str, path: str) -> tuple[Destination, str]:
    """Where `path` under the artifact root `root_uri` lives: the proxy's destination for an
    `mlflow-artifacts` root, else the root's own local folder or bucket."""
    proxied = proxied_path(root_uri)
    if proxied is not None:
        return _destination(request), posixpath.join(proxied, path) if proxied else path
    check_served_root(request, root_uri)
    return open_destination(root_uri), path


def check_served_root(request: Request, root_uri: str) -> None:
    """Refuse a local artifact root outside the server's own folders: a client chooses an
    experiment's location, and must not make the server read any file it can reach."""
    root = local_root(root_uri)
    if root is None:
        return
    stores: Stores = request.app.state.stores
    allowed = [local_root(stores.tracking.artifact_root)]
    if request.app.state.serving.serve:
        allowed.append(local_root(request.app.state.serving.destination))
    resolved = root.resolve()
    if not any(a is not None and resolved.is_relative_to(a.resolve()) for a in allowed):
        raise StoreError(
            f"The artifact location '{root_uri}' is a folder outside this server's artifact "
            "root and destination, so the server does not read it; read it directly instead."
        )


def proxied_path(uri: str) -> str | None:
    """The destination path an `mlflow-artifacts:` (or proxy http) URI points at, else None."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "mlflow-artifacts":
        return safe_relative_path(parsed.path.lstrip("/"))
    if parsed.scheme in ("http", "https") and HTTP_ANCHOR in parsed.path:
        return safe_relative_path(parsed.path.split(HTTP_ANCHOR, 1)[1])
    return None


def _attachment(chunks: Iterator[bytes], path: str) -> Response:
    name = PurePosixPath(path).name
    mime = content_type(name)
    return StreamingResponse(
        chunks,
        media_type=mime,
        headers={
            "Content-Disposition": f"attachment; filename={name}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def content_type(name: str) -> str:
    extension = PurePosixPath(name).suffix.lstrip(".") or name
    if extension in TEXT_EXTENSIONS:
        return "text/plain"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
