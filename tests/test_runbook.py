"""docs/runbook.md: every command block runs, in the document's order, on a real database.

The blocks are fenced as ```sh followed by the databases they are for (`any` for all). Each
backend's blocks run in bash against an old store built for the purpose, with the runbook's
variables (DB, BACKUP, PGHOST, ...) set to that database.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tests.filestore_handmade import build_small
from tests.sample_store import build_sample

RUNBOOK = Path(__file__).resolve().parent.parent / "docs" / "runbook.md"
TARGETS = {"any", "sqlite", "postgresql", "mysql", "mssql"}
FENCE = re.compile(r"^```(\S*)(.*?)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    line: int
    language: str
    targets: frozenset[str]
    commands: str


def blocks() -> list[Block]:
    text = RUNBOOK.read_text()
    return [
        Block(
            text.count("\n", 0, match.start()) + 1,
            match.group(1),
            frozenset(match.group(2).split()),
            match.group(3),
        )
        for match in FENCE.finditer(text)
    ]


def test_every_code_block_is_a_command_block_for_named_databases() -> None:
    found = blocks()
    assert len(found) > 20
    for block in found:
        assert block.language == "sh", f"runbook line {block.line}: fence it as ```sh"
        assert block.targets and block.targets <= TARGETS, f"runbook line {block.line}"


def test_timings_are_measured() -> None:
    assert "NOT-YET-MEASURED" not in RUNBOOK.read_text()


def test_runbook_commands_run_in_order(backend: str, tmp_path: Path) -> None:
    build_sample(backend)
    url = make_url(backend)
    kind = url.get_backend_name()
    env = {**os.environ, **_variables(url, tmp_path)}
    build_small(tmp_path / "mlruns")
    env["MLRUNS"] = str(tmp_path / "mlruns")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    ran = 0
    for block in blocks():
        if not block.targets & {"any", kind}:
            continue
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.commands],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, (
            f"runbook line {block.line} failed on {kind}:\n{block.commands}\n"
            f"{result.stdout}\n{result.stderr}"
        )
        ran += 1
    assert ran >= 10


# Per database: the variables that name its host, port, user, database and password.
TOOL_VARIABLES = {
    "postgresql": ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"),
    "mysql": ("MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_DATABASE", "MYSQL_PWD"),
}


def _variables(url: URL, folder: Path) -> dict[str, str]:
    """The runbook's variables for the database at `url`."""
    variables = {
        "DB": url.render_as_string(hide_password=False),
        "BACKUP": str(folder / "trackstore.backup"),
        "BACKUP_DIR": str(folder),
    }
    kind = url.get_backend_name()
    if kind == "sqlite":
        variables["SQLITE_FILE"] = str(url.database)
    elif kind == "mssql":
        variables["MSSQL_HOST"] = f"{url.host},{url.port or 1433}"
        variables["MSSQL_USER"] = url.username or ""
        variables["MSSQL_DATABASE"] = url.database or ""
        variables["SQLCMDPASSWORD"] = str(url.password or "")
    else:
        values = (url.host, url.port, url.username, url.database, url.password)
        names = TOOL_VARIABLES[kind]
        variables.update(
            {name: str(value) for name, value in zip(names, values, strict=True) if value}
        )
    return variables
