"""Checking a model version's source before the registry records it.

A local path may only name files inside the artifact directory of the logged model the version
comes from (when the request names one), else of its run; any other URI must be absolute and
free of `..` and NUL, so that a later download through the server cannot be steered outside the
artifact store.
"""

import posixpath
import re
import urllib.parse

from store.common.errors import StoreError
from store.server.stores import Stores

PROMPT_TAG = "mlflow.prompt.is_prompt"


def check_source(
    stores: Stores, source: str, run_id: str | None, model_id: str | None = None
) -> None:
    if not is_local(source):
        _check_remote_source(source)
    elif model_id:
        location = stores.logged_models.get_logged_model(model_id).artifact_location
        _check_local_source(source, location, "model_id")
    else:
        artifact_uri = stores.tracking.get_run(run_id).info.artifact_uri if run_id else None
        _check_local_source(source, artifact_uri, "run_id")


def is_local(uri: str) -> bool:
    return urllib.parse.urlparse(uri).scheme in ("", "file")


def _local_path(uri: str) -> str:
    parts = urllib.parse.urlparse(uri)
    path = urllib.parse.unquote(parts.path) if parts.scheme == "file" else uri
    return posixpath.normpath(posixpath.abspath(path))


def _check_local_source(source: str, artifact_uri: str | None, field: str) -> None:
    """Refuse a local `source` outside `artifact_uri`, the artifacts of the run or logged
    model the request names in `field`."""
    if artifact_uri and is_local(artifact_uri):
        root = _local_path(artifact_uri)
        path = _local_path(source)
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return
    raise StoreError(
        f"Invalid model version source: '{source}'. To use a local path as a model version "
        f"source, the {field} request parameter has to be specified and the local path has to "
        f"be contained within the artifact directory of the run specified by the {field}."
    )


def _check_remote_source(source: str) -> None:
    unquoted = source
    while (once := urllib.parse.unquote_plus(unquoted)) != unquoted:
        unquoted = once
    path = re.sub("/+", "/", urllib.parse.urlparse(unquoted).path.rstrip("/"))
    relative = not path.startswith("/") or "." in path.split("/")
    if "\x00" in unquoted or ".." in unquoted.split("/") or relative:
        raise StoreError(
            f"Invalid model version source: '{unquoted}'. If supplying a source as an http, "
            "https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path "
            "must be provided without relative path references present. Please provide an "
            "absolute path."
        )
