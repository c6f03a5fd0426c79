"""Where the server's artifact proxy keeps files: a local folder or S3-compatible storage."""

import urllib.parse
from pathlib import Path

from compat import TrackstoreError
from store.artifact_destinations.base import Destination
from store.artifact_destinations.local import LocalDestination
from store.artifact_destinations.s3 import S3Destination

NOT_SERVED = ("gs", "wasbs", "abfss", "wasb", "abfs")


def local_root(uri: str) -> Path | None:
    """The folder a local destination URI names (a plain path or file:///), else None."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and uri[1:3] in (":\\", ":/")):
        return Path(uri)
    return None


def check_destination_uri(uri: str) -> None:
    """Refuse, in one sentence, a destination this server cannot serve."""
    scheme = urllib.parse.urlparse(uri).scheme
    if scheme in NOT_SERVED:
        raise TrackstoreError(
            f"The artifacts destination '{uri}' is {scheme}:// storage, which trackstore does not "
            "serve; give a local folder, a file:// URI or an s3:// URI."
        )
    if local_root(uri) is None and scheme != "s3":
        raise TrackstoreError(
            f"The artifacts destination '{uri}' has the unknown scheme '{scheme}'; give a local "
            "folder, a file:// URI or an s3:// URI."
        )
    if scheme == "s3" and not urllib.parse.urlparse(uri).netloc:
        raise TrackstoreError(
            f"The artifacts destination '{uri}' names no bucket; give it as s3://bucket/prefix."
        )


def open_destination(uri: str) -> Destination:
    check_destination_uri(uri)
    root = local_root(uri)
    if root is not None:
        return LocalDestination(uri, root)
    return S3Destination(uri)
