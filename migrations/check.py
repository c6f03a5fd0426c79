"""`db check`: the live schema against what its recorded revision must be.

The expected schema is built, not described: on a scratch database of the same dialect the
chain is walked to the recorded revision (at head the models create it, as for a fresh
database), so the comparison is between two real schemas that one server reports alike.
"""

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from compat import TrackstoreError, make_engine, mask_url
from compat.databases import scratch_database
from migrations import runner
from migrations.inspect_schema import differences, snapshot


@dataclass(frozen=True)
class CheckResult:
    revision: str
    differences: list[str]


def check(engine: Engine, fresh: runner.ServedSchema | None = None) -> CheckResult:
    """Compare `engine`'s schema with a scratch one brought to the same revision."""
    with engine.connect() as connection:
        revision = runner.current_revision(connection)
        empty = runner.is_empty(connection)
        actual = snapshot(connection)
    where = mask_url(engine.url)
    if revision is None:
        raise TrackstoreError(
            f"{where} is empty; run `trackstore db upgrade` to create the schema."
            if empty
            else f"{where} has tables but records no revision (alembic_version is missing or "
            "empty), so there is nothing to check against; restore it from a backup."
        )
    runner.require_known(where, revision)
    with scratch_database(engine.url) as scratch_url:
        scratch = make_engine(scratch_url)
        try:
            runner.upgrade(scratch, revision, fresh=fresh)
            expected = snapshot(scratch)
        finally:
            scratch.dispose()
    return CheckResult(revision, differences(expected, actual))
