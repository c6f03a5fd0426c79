"""docs/migrations.md lists every revision, in order, with the undo rule its script declares."""

import re
from pathlib import Path

from migrations import runner

DOC = Path(__file__).resolve().parents[1] / "docs" / "migrations.md"
ROW = re.compile(r"^\| \d+ \| `(?P<revision>[0-9a-f]{12,13})` \| [^|]+ \| (?P<undo>[^|]+) \|", re.M)


def documented() -> list[tuple[str, str]]:
    return [(m["revision"], m["undo"].strip()) for m in ROW.finditer(DOC.read_text())]


def declared_undo(module: object) -> str:
    if getattr(module, "NOT_DOWNGRADABLE", None):
        return "no"
    return "conditional" if getattr(module, "LOSSY_COLUMNS", None) else "yes"


def test_every_revision_is_documented_in_order() -> None:
    assert [revision for revision, _ in documented()] == [s.revision for s in runner.history()]


def test_documented_undo_matches_the_script() -> None:
    undo = dict(documented())
    for script in runner.history():
        written = undo[script.revision]
        expected = declared_undo(script.module)
        assert (written if written in ("yes", "no") else "conditional") == expected, script.revision
