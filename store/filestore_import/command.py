"""An import from end to end: check the source, compare it with the target, then write.

Everything that can refuse does so before the first write: a source that is no file store, a
target at another revision, clashes with the target's entries (unless skipped), and with
--strict any entry that cannot be read. A database created by the import is created at the
served head first, as `db upgrade` would.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from compat import TrackstoreError, dialect_for, make_engine
from compat.urls import parse_url
from migrations import runner
from store.common.guard import ensure_servable
from store.filestore_import import layout, plan
from store.filestore_import.artifacts import Relocation
from store.filestore_import.importer import Importer
from store.filestore_import.layout import Problem
from store.filestore_import.sinks import CountingSink, DatabaseSink

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    strict: bool = False
    skip_existing: bool = False
    artifacts_to: Path | None = None


def import_filestore(source: str, uri: str, options: Options, echo: Echo, progress: Echo) -> None:
    """Import the file store at `source` into the database at `uri`; TrackstoreError when it
    refuses or when entries were left out (listed through `progress` first)."""
    root = layout.find_root(source)
    problems: list[Problem] = []
    found = plan.scan(root, problems)
    engine = _target(uri, options.dry_run)
    empty = engine is None or _is_empty(engine)
    if engine is not None and not empty:
        ensure_servable(engine, create_if_empty=False)
        with engine.connect() as connection:
            plan.compare(connection, found, options.skip_existing)
    for conflict in found.conflicts:
        progress(f"conflict: {conflict}")
    if found.conflicts and not options.skip_existing:
        raise TrackstoreError(plan.conflict_sentence(found.conflicts))
    if options.dry_run or options.strict:
        counts = _read_through(found, problems)
        if options.dry_run:
            _summary(echo, "would import", counts, found, problems)
            _refuse_if(problems, progress, "were found")
            return
        _refuse_if(problems, progress, "cannot be read; nothing was imported (--strict)")
    assert engine is not None
    if empty:
        ensure_servable(engine, create_if_empty=True)
    sink = DatabaseSink(engine)
    started = time.monotonic()
    relocation = None if options.artifacts_to is None else Relocation(options.artifacts_to)
    Importer(sink, problems, progress, relocation).run(found)
    seconds = time.monotonic() - started
    _summary(echo, f"imported in {seconds:.1f} s", sink, found, problems)
    _refuse_if(problems, progress, "were left out; the rest was imported")


def _target(uri: str, dry_run: bool) -> Engine | None:
    """The target's Engine; None for a dry run into a database file that does not exist."""
    url = parse_url(uri)
    missing_file = dialect_for(url.get_backend_name()).file_based and not (
        url.database and Path(url.database).exists()
    )
    if dry_run and missing_file:
        return None
    return make_engine(url, create=not dry_run)


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return runner.is_empty(connection)


def _read_through(found: plan.Plan, problems: list[Problem]) -> CountingSink:
    """Read every entry as the import would, counting rows and collecting problems."""
    counts = CountingSink()
    Importer(counts, problems, None).run(found)
    return counts


def _summary(
    echo: Echo, heading: str, sink: CountingSink, found: plan.Plan, problems: list[Problem]
) -> None:
    skipped = sum(e.skipped for e in found.experiments) + sum(m.skipped for m in found.models)
    echo(
        f"{heading}: {sink.written + sink.counts['experiments']:,} rows (rows already stored "
        "are kept as they are); "
        f"{found.already_there} experiments already in the target, {skipped} entries skipped "
        f"as conflicts, {len(problems)} entries unreadable"
    )
    for table, count in sorted(sink.counts.items()):
        echo(f"  {table}: {count:,}")


def _refuse_if(problems: list[Problem], progress: Echo, what: str) -> None:
    if not problems:
        return
    for problem in problems:
        progress(f"unreadable: {problem}")
    raise TrackstoreError(
        f"{len(problems)} entries of the file store (listed above) {what}; fix or remove them "
        "and run the import again: it adds only what is missing."
    )
