"""Removing a run's artifacts for `trackstore gc`, wherever its artifact URI points.

An `mlflow-artifacts:` URI names a folder under the proxy's destination; a file:// URI, a plain
path or an s3:// URI is its own destination. Anything else (another server's http URI, storage
trackstore does not serve) is left alone and counted as nothing removed.
"""

import urllib.parse

from store.artifact_destinations import local_root, open_destination
from store.artifact_destinations.base import Destination, FileTotals
from store.artifact_destinations.paths import safe_relative_path


class ArtifactRemoval:
    def __init__(self, destination_uri: str) -> None:
        self.destination_uri = destination_uri
        self._destination: Destination | None = None

    def __call__(self, artifact_uri: str) -> FileTotals:
        parsed = urllib.parse.urlparse(artifact_uri)
        if parsed.scheme == "mlflow-artifacts":
            path = safe_relative_path(parsed.path.lstrip("/"))
            if not path:
                return FileTotals()
            return self._proxy().delete(path)
        if parsed.scheme == "s3" or local_root(artifact_uri) is not None:
            return open_destination(artifact_uri).delete("")
        return FileTotals()

    def _proxy(self) -> Destination:
        if self._destination is None:
            self._destination = open_destination(self.destination_uri)
        return self._destination
