"""Checking a model version's source before the registry records it.

A local path may only name files inside the artifact directory of the run the version comes
from; any other URI must be absolute and free of `..` and NUL, so that a later download through
the server cannot be steered outside the artifact store.
"""

import posixpath
import re
import urllib.parse

from store.errors import StoreError
from store.server.stores import Stores

PROMPT_TAG = "mlflow.prompt.is_prompt"


def check_source(stores: Stores, source: str, run_id: str | None) -> None:
    if is_local(source):
        _check_local_source(stores, source, run_id)
    else:
        _check_remote_source(source)


def is_local(uri: str) -> bool:
    return urllib.parse.urlparse(uri).scheme in ("", "file")


def _local_path(uri: str) -> str:
    parts = urllib.parse.urlparse(uri)
    path = urllib.parse.unquote(parts.path) if parts.scheme == "file" else uri
    return posixpath.normpath(posixpath.abspath(path))


def _check_local_source(stores: Stores, source: str, run_id: str | None) -> None:
    if run_id:
        artifact_uri = stores.tracking.get_run(run_id).info.artifact_uri
        if artifact_uri and is_local(artifact_uri):
            root = _local_path(artifact_uri)
            path = _local_path(source)
            if path == root or path.startswith(root.rstrip("/") + "/"):
                return
    raise StoreError(
        f"Invalid model version source '{source}': a local path must lie inside the artifact "
        "directory of the run given as run_id; give that run_id or a non-local URI."
    )


def _check_remote_source(source: str) -> None:
    unquoted = source
    while (once := urllib.parse.unquote_plus(unquoted)) != unquoted:
        unquoted = once
    path = re.sub("/+", "/", urllib.parse.urlparse(unquoted).path.rstrip("/"))
    relative = not path.startswith("/") or "." in path.split("/")
    if "\x00" in unquoted or ".." in unquoted.split("/") or relative:
        raise StoreError(
            f"Invalid model version source '{source}': it must be an absolute URI without "
            "relative parts such as '..'; give the absolute location."
        )
