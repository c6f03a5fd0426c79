"""The offline (`--sql`) upgrade script of each dialect, cut into one section per revision."""

import re
from functools import cache

from migrations import runner

REVISIONS = [script.revision for script in runner.history()]
BASE = "base"
MARKER = re.compile(r"^-- Running upgrade \w* ?-> (\w+)$", re.MULTILINE)


@cache
def sections(dialect: str) -> dict[str, str]:
    """The script from an empty database to head, generated once per dialect."""
    return split_by_revision(runner.offline_sql(dialect, None, "head"))


def split_by_revision(script: str) -> dict[str, str]:
    """Each revision's SQL, keyed by revision id, at the "Running upgrade" comments Alembic
    writes; what comes before the first (the base tables) under BASE."""
    marks = list(MARKER.finditer(script))
    cut = {BASE: script[: marks[0].start()] if marks else script}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        cut[mark.group(1)] = script[mark.start() : following.start() if following else None]
    return cut
