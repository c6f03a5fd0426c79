"""Where an MLflow file store keeps what, across the layouts MLflow 1.x, 2.x and 3.x wrote.

    ROOT/<experiment id>/meta.yaml            an experiment (ROOT/.trash/<id>/ once deleted)
    ROOT/<experiment id>/tags/<key>           its tags, one file each, the value as the text
    ROOT/<experiment id>/<run id>/meta.yaml   a run, with params/, tags/ and metrics/ beside it
    ROOT/<experiment id>/datasets/<id>/       datasets (2.4+); runs list theirs under inputs/
    ROOT/<experiment id>/models/<model id>/   logged models (3.x), with params/, tags/, metrics/
    ROOT/<experiment id>/traces/<trace id>/   trace_info.yaml, tags/ and request_metadata/
    ROOT/models/<name>/                       the model registry: version-<n>/, tags/, aliases/

A key holding "/" is a nested path under its folder. A metric file has a line per point,
"timestamp value" (before 1.0), "timestamp value step", or that plus a dataset's name and digest
(3.x); a logged model's metric lines put the run id after the step. Values are Python's float
spellings ("nan", "inf", "-inf").
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from compat import TrackstoreError

META = "meta.yaml"
TRASH = ".trash"
REGISTRY = "models"
# Folders of an experiment that are not runs.
NOT_RUNS = frozenset({"tags", "datasets", "traces", "models", "artifacts"})
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Unreadable(Exception):
    """A file of the file store that cannot be read as what it should be."""


@dataclass(frozen=True)
class Problem:
    """An entry left out of the import, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def find_root(source: str) -> Path:
    """The file store's root folder: SOURCE itself, its `mlruns` folder, or a file: URI's path."""
    path = Path(unquote(urlparse(source).path) if source.startswith("file:") else source)
    if (path / "mlruns").is_dir():
        path = path / "mlruns"
    if not path.is_dir():
        raise TrackstoreError(
            f"{source} is not a folder; give the file store's folder (the one holding "
            "experiment folders such as 0/), or its file: URI."
        )
    if not any((entry / META).exists() for entry in experiment_folders(path)) and not (
        (path / TRASH).is_dir() or (path / REGISTRY).is_dir()
    ):
        raise TrackstoreError(
            f"{path} holds no MLflow file store (no experiment folder with a meta.yaml); "
            "give the folder MLflow wrote as ./mlruns."
        )
    return path


def experiment_folders(root: Path) -> list[Path]:
    """Every experiment folder, active ones first, each group in id order."""
    found: list[Path] = []
    for parent in (root, root / TRASH):
        found.extend(sorted(filter(_is_experiment, _folders(parent)), key=_id_order))
    return found


def run_folders(experiment: Path) -> list[Path]:
    return sorted(f for f in _folders(experiment) if f.name not in NOT_RUNS)


def subfolders(folder: Path) -> list[Path]:
    return sorted(_folders(folder))


def read_meta(folder: Path, name: str = META) -> dict[str, Any]:
    """A YAML mapping; Unreadable when it is missing, broken or not a mapping."""
    path = folder / name
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise Unreadable(f"no {name}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Unreadable(f"{name} does not parse ({_first_line(exc)})") from None
    if not isinstance(document, dict):
        raise Unreadable(f"{name} is not a mapping")
    return document


def read_values(folder: Path) -> dict[str, str]:
    """Each file under `folder` as key (its path below `folder`, "/"-separated) -> its text."""
    values: dict[str, str] = {}
    for key, path in value_files(folder):
        try:
            values[key] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Unreadable(f"{path.name} cannot be read ({_first_line(exc)})") from None
    return values


def value_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of each file under `folder`, keys in sorted order."""
    if not folder.is_dir():
        return
    found: list[tuple[str, Path]] = []
    for directory, _, files in os.walk(folder):
        prefix = os.path.relpath(directory, folder)
        for name in files:
            key = name if prefix == "." else f"{prefix}/{name}".replace(os.sep, "/")
            found.append((key, Path(directory, name)))
    yield from sorted(found)


def metric_point(line: str) -> tuple[int, float, int, list[str]]:
    """(timestamp, value, step, the fields after the step) of a metric line; ValueError when
    it does not parse."""
    fields = line.split()
    if len(fields) < 2:
        raise ValueError(f"{len(fields)} fields, at least 2 expected")
    step = int(fields[2]) if len(fields) > 2 else 0
    return int(fields[0]), float(fields[1]), step, fields[3:]


def _folders(parent: Path) -> Iterator[Path]:
    if not parent.is_dir():
        return
    for entry in os.scandir(parent):
        if entry.is_dir() and not entry.name.startswith("."):
            yield Path(entry.path)


def _is_experiment(folder: Path) -> bool:
    return folder.name.isdigit()


def _id_order(folder: Path) -> tuple[int, str]:
    return (len(folder.name), folder.name)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
