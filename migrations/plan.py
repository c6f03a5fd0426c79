"""`db upgrade --dry-run`: what an upgrade would do, how long it may take, what can be undone.

The facts about each revision are gathered here. Whether a revision can be undone is read
from the revision script itself (`NOT_DOWNGRADABLE`: never; `LOSSY_COLUMNS`: only while the
stored values still fit the old schema). Which tables it reads or copies in full, and how
heavy that is, is declared in REWRITES below; the time per row comes from the dialect, as
measured with bench/ (see docs/runbook.md).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from alembic.script import Script
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Connection, Engine

from compat import Dialect, dialect_for, mask_url
from migrations import runner
from migrations.progress import one_line


@dataclass(frozen=True)
class Rewrite:
    """Tables a revision reads or copies row by row, and how many copy passes that costs.

    `only_when` names a dialect flag; the rewrite happens only on databases where it is true.
    """

    tables: tuple[str, ...]
    passes: float = 1.0
    only_when: str | None = None


# Revisions that touch every row of some tables on at least one database (SQLite copies a
# table for most column changes; MySQL rebuilds it; PostgreSQL rewrites it for primary keys and
# scans it for new indexes and checks). Revisions not listed only create, drop or rename.
# Passes are fitted to `python -m bench revision_timings` on SQLite, PostgreSQL and MariaDB.
REWRITES: Mapping[str, Rewrite] = {
    "451aebb31d03": Rewrite(("metrics",), passes=2),
    "90e64c465722": Rewrite(("runs", "tags")),
    "181f10493468": Rewrite(("metrics",), passes=2),
    "7ac759974ad8": Rewrite(("tags",)),
    "89d4b8295536": Rewrite(("metrics",)),
    "cfd24bdc0731": Rewrite(("runs",), passes=3),
    "a8c4a736bde6": Rewrite(("model_versions",)),
    "39d1c3be5f05": Rewrite(("latest_metrics", "metrics")),
    "c48cb773bb87": Rewrite(("metrics",), only_when="type_change_drops_default"),
    "bd07f7e963c5": Rewrite(("params", "metrics", "latest_metrics", "tags"), passes=0.3),
    "cc1f77228345": Rewrite(("params",)),
    "2d6e25af4d3e": Rewrite(("params",)),
    "5b0e9adcef9c": Rewrite(("trace_tags", "trace_request_metadata")),
    "4465047574b1": Rewrite(("datasets",), only_when="small_text"),
    "f5a4f2784254": Rewrite(("tags",)),
    "0584bdc529eb": Rewrite(("datasets",)),
    "6953534de441": Rewrite(("inputs",)),
    "bda7b8c39065": Rewrite(("model_version_tags",)),
    "c9d4e5f6a7b8": Rewrite(("endpoint_model_mappings",), passes=0.3),
    "d0e1f2a3b4c5": Rewrite(("endpoints",), only_when="alters_by_copying_table"),
    "1b5f0d9ad7c1": Rewrite(
        (
            "experiments",
            "registered_models",
            "model_versions",
            "registered_model_tags",
            "model_version_tags",
            "registered_model_aliases",
            "secrets",
            "endpoints",
            "model_definitions",
        )
    ),
    # Index builds; on 0.25-1M metrics one took 0.17 copy passes on SQLite, 0.25 on MariaDB and
    # 1.1 on PostgreSQL (whose copies are cheap).
    "a5b4c3d2e1f0": Rewrite(("metrics",), passes=0.3),
    "7d34483879f0": Rewrite(("model_version_tags", "registered_model_tags"), passes=0.3),
    "c1d2e3f4a5b6": Rewrite(("spans",), passes=0.3),
    "c3d9e7f1a2b4": Rewrite(("budget_policies",), passes=0.3),
    "6f8d9c3b2a1e": Rewrite(("trace_info",)),
    "1971f2d9a75b": Rewrite(("trace_info",), passes=0.3),
    "17e22815139b": Rewrite(("experiment_tags",)),
    "75868b020152": Rewrite(
        (
            "trace_info",
            "trace_tags",
            "trace_request_metadata",
            "trace_metrics",
            "spans",
            "span_metrics",
            "assessments",
        ),
        passes=2,
    ),
    "dc11669786a5": Rewrite(("jobs",)),
    "8b6ad64cb8f5": Rewrite(("issues",)),
    "f4a9b2c7d1e6": Rewrite(
        ("mcp_server_versions", "mcp_server_version_tags", "mcp_server_aliases"),
        only_when="case_sensitive_key_collation",
    ),
}
NO_REWRITE = Rewrite(())
# What any revision costs besides its rows: a few statements and a commit.
SECONDS_PER_REVISION = 0.2


@dataclass(frozen=True)
class Step:
    revision: str
    doc: str
    undo: str
    rows: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class Plan:
    current: str | None
    target: str
    creates_fresh: bool
    steps: list[Step]

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def make_plan(
    engine: Engine, revision: str | None = None, fresh: runner.ServedSchema | None = None
) -> Plan:
    """The plan for upgrading `engine`'s database to `revision`, reading but changing nothing.

    As `runner.upgrade` would: no `revision` means the one `fresh` serves (head without it)
    and nothing to do for a database beyond it; an empty database is created from the models
    of `fresh` when it serves the target.
    """
    target = runner.revision_id(revision or (fresh.revision if fresh is not None else "head"))
    dialect = dialect_for(engine.dialect.name)
    with engine.connect() as connection:
        current = runner.current_revision(connection)
        runner.require_known(mask_url(engine.url), current)
        if fresh is not None and target == fresh.revision and runner.is_empty(connection):
            return Plan(None, target, True, [])
        if revision is None and runner.is_beyond(current, target):
            return Plan(current, target, False, [])
        pending = _pending(current, target)
        rewrites = {script.revision: rewrite_on(dialect, script.revision) for script in pending}
        counts = row_counts(connection, {t for r in rewrites.values() for t in r.tables})
    steps = [
        _step(script, rewrites[script.revision], counts, dialect.copy_seconds_per_row)
        for script in pending
    ]
    return Plan(current, target, False, steps)


def rewrite_on(dialect: Dialect, revision: str) -> Rewrite:
    """What `revision` rewrites on `dialect`'s kind of database."""
    rewrite = REWRITES.get(revision, NO_REWRITE)
    if rewrite.only_when is not None and not getattr(dialect, rewrite.only_when):
        return NO_REWRITE
    return rewrite


def _pending(current: str | None, target: str) -> list[Script]:
    """The revisions between `current` (None: base tables only) and `target`, oldest first."""
    scripts = runner.script_directory().iterate_revisions(target, current or "base")
    return [script for script in reversed(list(scripts)) if script.revision != current]


def _step(script: Script, rewrite: Rewrite, counts: Mapping[str, int], per_row: float) -> Step:
    rows = {name: counts.get(name, 0) for name in rewrite.tables}
    seconds = SECONDS_PER_REVISION + sum(rows.values()) * rewrite.passes * per_row
    return Step(script.revision, one_line(script.doc), undo_of(script.module), rows, seconds)


def undo_of(module: ModuleType) -> str:
    """Whether going back down over a revision is possible, in a few words."""
    if getattr(module, "NOT_DOWNGRADABLE", None):
        return "no"
    if getattr(module, "LOSSY_COLUMNS", None):
        return "if values fit"
    return "yes"


def row_counts(connection: Connection, tables: set[str]) -> dict[str, int]:
    """Rows in each of `tables` that exists now (a table made by a pending revision has none)."""
    present = set(inspect(connection).get_table_names())
    return {
        name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in sorted(tables & present)
    }


def render(plan: Plan, engine: Engine) -> list[str]:
    """The plan as the lines `db upgrade --dry-run` prints."""
    lines = [f"database: {mask_url(engine.url)}"]
    if plan.creates_fresh:
        lines.append(
            f"the database is empty: it would be created at {plan.target} from the models in "
            "one transaction; nothing to rewrite"
        )
        return lines
    lines.append(f"current revision: {plan.current or 'none (base tables only)'}")
    head = " (head)" if plan.target == runner.head_revision() else ""
    lines.append(f"target revision: {plan.target}{head}")
    if not plan.steps:
        lines.append("nothing to do: the database is already at the target")
        return lines
    lines.append(f"{len(plan.steps)} revisions to apply, in this order:")
    lines.append(f"  {'revision':<13} {'undo':<13} {'estimate':>9}  rewrites (rows)  —  what")
    for step in plan.steps:
        rewrites = ", ".join(f"{name} ({rows:,})" for name, rows in step.rows.items()) or "none"
        lines.append(
            f"  {step.revision:<13} {step.undo:<13} {_duration(step.seconds):>9}  "
            f"{rewrites}  —  {step.doc}"
        )
    lines.append(
        f"estimated total: {_duration(plan.seconds)} (from rates measured on this kind of "
        "database; disk, load and indexes move it)"
    )
    return lines


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"~{seconds:.1f} s"
    return f"~{seconds / 60:.0f} min"
