"""7d34483879f0 down and up again leaves the registry tag tables as its first upgrade did.

On MySQL the revision's indexes take over the foreign keys' own indexes, which MySQL drops by
itself; the downgrade puts those back as ordinary indexes, which MySQL would keep beside ours on
the next upgrade unless the revision drops them.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from compat import make_engine
from migrations import runner
from tests.schema import snapshot

REVISION = "7d34483879f0"
BELOW = "ae8bbe7743c9"
TABLES = ("model_version_tags", "registered_model_tags")


@pytest.fixture
def engine(fresh_backend: str) -> Iterator[Engine]:
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


def tag_tables(engine: Engine) -> dict[str, object]:
    schema = snapshot(engine)
    return {table: schema[table] for table in TABLES}


def test_upgrade_after_downgrade_leaves_the_first_upgrades_indexes(engine: Engine) -> None:
    runner.upgrade(engine, BELOW)
    below = tag_tables(engine)
    runner.upgrade(engine, REVISION)
    first = tag_tables(engine)
    assert first != below
    runner.downgrade(engine, BELOW)
    assert tag_tables(engine) == below
    runner.upgrade(engine, REVISION)
    assert tag_tables(engine) == first
