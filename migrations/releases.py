"""MLflow's releases by name: the revision a release leaves a database at, and the way back.

The facts (release -> head revision) are in mlflow_releases.py, read from the releases' wheels.
Each release's chain is a prefix of MLflow's one chain, and so is trackstore's, so a revision
belongs to every release whose head is at or after it in that chain; a head that trackstore's
chain does not hold yet lies after all of it. Releases are taken in version order, which is not
quite release-date order (3.0.1 came out after 3.1.0 and has a later head).
"""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from compat import TrackstoreError
from migrations.mlflow_releases import RELEASE_HEADS

# How a release is named where a revision is expected: mlflow-3.1.4.
PREFIX = "mlflow-"


@dataclass(frozen=True)
class Release:
    version: str
    head: str

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    """Release 1.13 sorts (and matches) as 1.13.0; a part that is not a number raises ValueError."""
    parts = tuple(int(part) for part in version.split("."))
    return parts + (0,) * (3 - len(parts))


RELEASES = tuple(sorted((Release(v, head) for v, head in RELEASE_HEADS), key=lambda r: r.key))


def is_release_name(text: str) -> bool:
    return text.lower().startswith(PREFIX)


def release_head(name: str) -> str:
    """The head revision of the release `name` (mlflow-X.Y.Z); an unknown one is refused with
    the known releases nearest to it."""
    version = name[len(PREFIX) :]
    try:
        key = version_key(version)
    except ValueError:
        raise TrackstoreError(
            f"'{name}' is not an MLflow release name; name one as mlflow-X.Y.Z, "
            f"from {name_of(RELEASES[0])} to {name_of(RELEASES[-1])}."
        ) from None
    for release in RELEASES:
        if release.key == key:
            return release.head
    raise TrackstoreError(f"'{name}' is not an MLflow release trackstore knows; {_nearest(key)}.")


def _nearest(key: tuple[int, ...]) -> str:
    """The known releases on either side of `key`, as the end of a sentence."""
    keys = [release.key for release in RELEASES]
    at = bisect.bisect_left(keys, key)
    if at == 0:
        return f"the oldest it knows is {name_of(RELEASES[0])}"
    if at == len(RELEASES):
        return f"the newest it knows is {name_of(RELEASES[-1])}"
    return f"the nearest it knows are {name_of(RELEASES[at - 1])} and {name_of(RELEASES[at])}"


def newest_within(chain: Sequence[str]) -> Release | None:
    """The newest release whose head `chain` holds: the furthest a release name can lead."""
    held = [release for release in RELEASES if release.head in chain]
    return held[-1] if held else None


def name_of(release: Release) -> str:
    return f"{PREFIX}{release.version}"


def headed_by(revision: str) -> list[Release]:
    """The releases whose head `revision` is, oldest first."""
    return [release for release in RELEASES if release.head == revision]


def first_shipped(revision: str, chain: Sequence[str]) -> Release | None:
    """The oldest release whose chain holds `revision`, one of `chain` (trackstore's, oldest
    first); None when no release the table knows holds it."""
    position = chain.index(revision)
    for release in RELEASES:
        head_position = chain.index(release.head) if release.head in chain else len(chain)
        if head_position >= position:
            return release
    return None


def spans(releases: Sequence[Release]) -> str:
    """Releases as runs of neighbours in RELEASES: "MLflow 3.0.1 and 3.1.1 to 3.1.4"."""
    positions = [RELEASES.index(release) for release in releases]
    runs: list[list[int]] = []
    for position in positions:
        if runs and runs[-1][-1] == position - 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    parts = [
        RELEASES[run[0]].version
        if len(run) == 1
        else f"{RELEASES[run[0]].version} to {RELEASES[run[-1]].version}"
        for run in runs
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"MLflow {listed}"


def describe(revision: str, chain: Sequence[str]) -> str | None:
    """Which MLflow releases `revision` belongs to, in words; None when the table cannot say."""
    heads = headed_by(revision)
    if heads:
        return f"the head of {spans(heads)}"
    if revision in chain:
        first = first_shipped(revision, chain)
        if first is not None:
            return f"first shipped in MLflow {first.version}, not the head of any release"
    return None


def current_line(revision: str, chain: Sequence[str]) -> str:
    """What `db current` prints for a database at `revision`: it, then the releases it is of."""
    note = describe(revision, chain)
    if revision in chain:
        return revision if note is None else f"{revision} — {note}"
    newer = f"{note}, newer than" if note else "a revision neither an MLflow release nor"
    return f"{revision} — {newer} this trackstore knows (its chain ends at {chain[-1]})"


def shipped_in(revision: str, chain: Sequence[str]) -> str:
    """The first release that shipped `revision`, in words, for `db history`."""
    first = first_shipped(revision, chain)
    return "no release yet" if first is None else f"MLflow {first.version}"
