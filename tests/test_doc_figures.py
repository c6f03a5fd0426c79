"""A measured figure is stated once: no two places in the docs give the same revision's (or the
whole chain's) time on the same database with different values.

docs/performance.md is where migration timings live, dated, with the machine and its load;
docs/runbook.md and docs/migrations.md link to it. A figure is found in a table (the row names
the revision, the column or the cell the database; a table under a heading about the whole
chain is about the whole chain) or in a sentence naming one revision or the whole chain, one
database and a time.
"""

import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docker" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCE = ROOT / "docs" / "performance.md"
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB", "mysql": "MySQL"}
REVISION = re.compile(r"\b[0-9a-f]{12,13}\b")
START = re.compile(r"\b(?i:from) `?([0-9a-f]{12,13})\b")
SECONDS = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?) s\b")
DATABASE_THEN_SECONDS = re.compile(
    r"\b(SQLite|PostgreSQL|MariaDB|MySQL)\b(?: [\d.]+)? (\d[\d,]*(?:\.\d+)?) s\b"
)

Key = tuple[str, str, str]  # (revision or "whole chain", database, tool)
Found = dict[Key, set[tuple[str, str]]]  # key -> {(value, where)}


def database_in(text: str) -> list[str]:
    return [name for key, name in DATABASES.items() if re.search(rf"\b{key}\b", text.lower())]


def tool_of(header: str) -> str:
    return "mlflow" if "mlflow" in header.lower() else "trackstore"


def figures(path: Path) -> Found:
    found: Found = defaultdict(set)
    heading, header = "", []
    lines = _without_code(path.read_text()).splitlines()
    for number, line in enumerate(lines, 1):
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{number}"
        if line.startswith("#"):
            heading, header = line.lower(), []
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not header:
                header = cells
            elif not set(line) <= set("|-: "):
                _row(found, heading, header, cells, where)
        else:
            header = []
            for sentence in re.split(r"(?<=[.;:])\s+", line):
                _sentence(found, sentence, where)
    return found


def _without_code(text: str) -> str:
    """Code blocks hold commands, not figures; their lines stay (blank) so numbers match."""
    return re.sub(r"```.*?```", lambda block: "\n" * block.group(0).count("\n"), text, flags=re.S)


def _row(found: Found, heading: str, header: list[str], cells: list[str], where: str) -> None:
    # Under a heading about the whole chain, the revision a row names is where it started.
    revisions = {match for cell in cells for match in REVISION.findall(cell)}
    subject = _subject("whole chain" in heading, revisions, revisions)
    if subject is None:
        return
    row_databases = database_in(cells[0])
    for column, cell in zip(header, cells, strict=False):
        pairs = DATABASE_THEN_SECONDS.findall(cell)
        for database, value in pairs:
            found[(subject, database, tool_of(column))].add((value, where))
        seconds = SECONDS.findall(cell)
        databases = database_in(column) or row_databases
        if not pairs and seconds and len(databases) == 1:
            found[(subject, databases[0], tool_of(column))].add((seconds[0], where))


def _sentence(found: Found, sentence: str, where: str) -> None:
    revisions, starts = set(REVISION.findall(sentence)), set(START.findall(sentence))
    subject = _subject("whole chain" in sentence.lower(), revisions, starts)
    databases = database_in(sentence)
    seconds = SECONDS.search(sentence)
    if subject is not None and len(databases) == 1 and seconds:
        tool = tool_of(sentence[: seconds.start()].rsplit(",", 1)[-1])
        found[(subject, databases[0], tool)].add((seconds.group(1), where))


def _subject(whole_chain: bool, revisions: set[str], starts: set[str]) -> str | None:
    """What a figure times: one revision, the whole chain, or the whole chain from the one
    revision named as its start (where the benchmark began); None when that is unclear."""
    if whole_chain:
        if revisions != starts or len(starts) > 1:
            return None
        return " from ".join(["whole chain", *starts])
    return revisions.pop() if len(revisions) == 1 else None


def every_figure() -> Found:
    merged: Found = defaultdict(set)
    for path in DOCS:
        for key, values in figures(path).items():
            merged[key] |= values
    return merged


def test_no_figure_is_given_twice_with_different_values() -> None:
    conflicts = {
        key: sorted(values)
        for key, values in every_figure().items()
        if len({value.replace(",", "") for value, _ in values}) > 1
    }
    assert not conflicts, "\n".join(f"{key}: {values}" for key, values in conflicts.items())


def test_migration_timings_are_stated_in_the_performance_doc_only() -> None:
    elsewhere = {
        key: sorted(values)
        for key, values in every_figure().items()
        if any(not where.startswith("docs/performance.md") for _, where in values)
    }
    assert not elsewhere, "\n".join(f"{key}: {values}" for key, values in elsewhere.items())


@pytest.mark.parametrize("doc", ["runbook.md", "migrations.md"])
def test_the_docs_with_migration_timings_link_to_the_source(doc: str) -> None:
    assert "(performance.md#" in (ROOT / "docs" / doc).read_text()


def test_the_source_is_dated_with_machine_and_load() -> None:
    text = SOURCE.read_text()
    section = text[text.index("## Migration timings") :].split("\n## ", 1)[0]
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", section)
    assert "2-core" in section
    assert re.search(r"load (about )?\d", section)
    assert {
        ("whole chain from 451aebb31d03", "MariaDB", "trackstore"),
        ("whole chain from bda7b8c39065", "MariaDB", "trackstore"),
        ("181f10493468", "PostgreSQL", "trackstore"),
    } <= (set(figures(SOURCE)))


def test_the_finder_sees_figures_in_tables_cells_and_sentences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "## The whole chain\n\n| database | trackstore | MLflow 3.1.4 |\n|---|---|---|\n"
        "| MariaDB 10.11 | 44.1 s | 1,514.0 s |\n\n## Chain\n\n| revision | cost |\n|---|---|\n"
        "| `181f10493468` | SQLite 13 s, PostgreSQL 9 s |\n\n"
        "The MariaDB column is from the loaded machine, where the whole chain took 92 s.\n\n"
        "## The whole chain, from two points\n\n| database | from | trackstore |\n|---|---|---|\n"
        "| SQLite 3.40 | `451aebb31d03` | 21.8 s |\n| SQLite 3.40 | `bda7b8c39065` | 6.5 s |\n\n"
        "From bda7b8c39065 the whole chain took 7 s on PostgreSQL.\n"
    )
    found = {key: {value for value, _ in values} for key, values in figures(page).items()}
    assert found == {
        ("whole chain", "MariaDB", "trackstore"): {"44.1", "92"},
        ("whole chain", "MariaDB", "mlflow"): {"1,514.0"},
        ("181f10493468", "SQLite", "trackstore"): {"13"},
        ("181f10493468", "PostgreSQL", "trackstore"): {"9"},
        ("whole chain from 451aebb31d03", "SQLite", "trackstore"): {"21.8"},
        ("whole chain from bda7b8c39065", "SQLite", "trackstore"): {"6.5"},
        ("whole chain from bda7b8c39065", "PostgreSQL", "trackstore"): {"7"},
    }
