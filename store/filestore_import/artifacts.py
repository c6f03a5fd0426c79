"""--artifacts-to: copying runs' and logged models' artifacts into the folder a server serves
(`trackstore server --artifacts-destination`), with their locations rewritten to the
`mlflow-artifacts:/` URIs that the server resolves there.

Only local artifacts (file: URIs or paths) can be copied; any other location is kept as it
is. Copies overwrite files of the same name, so a re-run after an interruption copies again
and ends the same.
"""

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

SERVED_SCHEME = "mlflow-artifacts:"


class Relocation:
    def __init__(self, destination: Path) -> None:
        self.destination = destination

    def experiment(self, experiment_id: int) -> str:
        return f"{SERVED_SCHEME}/{experiment_id}"

    def move(self, location: str | None, *parts: str) -> str | None:
        """Copy the local folder at `location` to DEST/parts; its new URI (else `location`)."""
        source = _local_folder(location)
        if source is None:
            return location
        target = self.destination.joinpath(*parts)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        return f"{SERVED_SCHEME}/{'/'.join(parts)}"


def _local_folder(location: str | None) -> Path | None:
    if not location:
        return None
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(location) if parsed.scheme == "" else None
