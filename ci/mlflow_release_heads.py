"""Gather, from MLflow's own wheels, the revision each MLflow release leaves a database at.

    python ci/mlflow_release_heads.py [--cache DIR] [--output PATH]

Writes migrations/mlflow_releases.py, the table behind `trackstore db history`, `db current`
and `--revision mlflow-X.Y.Z`. Every final release from 1.0.0 to 3.18.0 is read, patches and
yanked ones included: a patch release can ship a revision (and a database upgraded by a yanked
release still exists), so reading each wheel is what lets the table state a fact for every
release instead of guessing the patches between two that were read. The list of releases comes
from the package index's simple page for mlflow; each wheel is fetched with `pip download
--no-deps` into the cache (kept between runs) and its revision scripts are parsed, not imported.
"""

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

INDEX_PAGE = "https://pypi.org/simple/mlflow/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# The releases the table covers: MLflow's first with a migration chain, and the contract's newest.
FIRST, LAST = (1, 0, 0), (3, 18, 0)
# MLflow 1.2.0 to 1.7.0 were uploaded as py2-only wheels; their scripts read the same.
WHEEL_NAME = re.compile(r"^mlflow-(\d+(?:\.\d+)+)-(py2|py3|py2\.py3)-none-any\.whl$")
# Where a wheel keeps its revision scripts: MLflow 1.0 to 1.x used the first, later ones the second.
VERSIONS_FOLDERS = ("mlflow/alembic/versions/", "mlflow/store/db_migrations/versions/")
LINK_NAMES = ("revision", "down_revision")
OUTPUT = Path(__file__).resolve().parent.parent / "migrations" / "mlflow_releases.py"


@dataclass(frozen=True)
class Release:
    version: str
    wheel: str
    yanked: bool

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    """Release 1.13 sorts (and compares) as 1.13.0."""
    parts = tuple(int(part) for part in version.split("."))
    return parts + (0,) * (3 - len(parts))


def list_releases() -> list[Release]:
    """Final releases in [FIRST, LAST] that have a pure-Python wheel, oldest first."""
    request = urllib.request.Request(INDEX_PAGE, headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    found: dict[str, Release] = {}
    for entry in files:
        match = WHEEL_NAME.match(entry["filename"])
        if match and FIRST <= version_key(match.group(1)) <= LAST:
            version = match.group(1)
            found[version] = Release(version, entry["filename"], bool(entry.get("yanked")))
    return sorted(found.values(), key=lambda release: release.key)


def fetch_wheel(release: Release, cache: Path) -> Path:
    """The release's wheel, downloaded into `cache` unless it is already there."""
    wheel = cache / release.wheel
    if not wheel.exists():
        # pip picks a py2-only wheel only when asked for Python 2 wheels.
        python = ["--python-version", "2.7"] if "-py2-" in release.wheel else []
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *python]
        where = ["--only-binary", ":all:", "--dest", str(cache)]
        subprocess.run([*pip, *where, f"mlflow=={release.version}"], check=True)
    return wheel


def script_links(source: str) -> tuple[str, str | None]:
    """(revision, down_revision) as a revision script assigns them at module level."""
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in LINK_NAMES:
                    values[target.id] = ast.literal_eval(node.value)
    revision, down = values["revision"], values["down_revision"]
    if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
        raise ValueError(f"revision script with a merge or odd links: {revision!r} <- {down!r}")
    return revision, down


def wheel_links(wheel: Path) -> dict[str, str | None]:
    """Each revision in the wheel's migration folder, mapped to its down_revision."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for folder in VERSIONS_FOLDERS:
            scripts = [name for name in names if _is_script(name, folder)]
            if scripts:
                return dict(script_links(archive.read(name).decode("utf-8")) for name in scripts)
    raise ValueError(f"{wheel.name} holds no revision scripts in {', '.join(VERSIONS_FOLDERS)}")


def _is_script(name: str, folder: str) -> bool:
    rest = name.removeprefix(folder)
    return rest != name and rest.endswith(".py") and "/" not in rest and rest != "__init__.py"


def head_of(links: dict[str, str | None]) -> str:
    """The one revision no other revision builds on; a release with two heads is an error."""
    heads = set(links) - set(links.values())
    if len(heads) != 1:
        raise ValueError(f"expected one head, found {sorted(heads)}")
    return heads.pop()


def agree_with(seen: dict[str, str | None], links: dict[str, str | None], version: str) -> None:
    """Refuse a release that links a revision differently from an earlier one: the table's
    readers take every release's chain to be a prefix of one chain."""
    for revision, down in links.items():
        if seen.setdefault(revision, down) != down:
            raise ValueError(f"MLflow {version} puts {revision} after {down}, not {seen[revision]}")


def render(rows: Iterable[tuple[Release, str]]) -> str:
    """The generated module: facts only, one release a line, oldest first."""
    lines = [
        '"""Which revision each MLflow release leaves a database at (its head), oldest first.',
        "",
        "Generated by ci/mlflow_release_heads.py from the releases' wheels; do not edit by hand,",
        "run that script again. Every final release from 1.0.0 to 3.18.0 is listed; the ones the",
        "package index marks as yanked are in YANKED.",
        '"""',
        "",
        "RELEASE_HEADS: tuple[tuple[str, str], ...] = (",
    ]
    yanked = []
    for release, head in rows:
        lines.append(f'    ("{release.version}", "{head}"),')
        if release.yanked:
            yanked.append(release.version)
    lines.append(")")
    listed = ", ".join(f'"{version}"' for version in yanked)
    lines.append(f"YANKED: frozenset[str] = frozenset({{{listed}}})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mlflow-release-wheels",
        help="Folder that keeps the downloaded wheels between runs.",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="The module to write.")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[Release, str]] = []
    seen: dict[str, str | None] = {}
    for release in list_releases():
        links = wheel_links(fetch_wheel(release, args.cache))
        agree_with(seen, links, release.version)
        head = head_of(links)
        print(f"{release.version:<8} {head}", flush=True)
        rows.append((release, head))
    args.output.write_text(render(rows))
    print(f"wrote {len(rows)} releases to {args.output}")


if __name__ == "__main__":
    main()
