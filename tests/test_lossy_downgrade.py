"""Going down across cc1f77228345 (param values 500 -> 250): done when every value fits,
otherwise refused with one sentence and nothing changed, even many steps away from it."""

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compat import TrackstoreError, make_engine
from migrations import runner
from tests.cli import run_trackstore
from tests.schema import snapshot

WIDENED = "cc1f77228345"
BELOW = "0c779009ac13"
RUN = "0" * 32
REFUSAL = (
    "1 value in params.value is longer than 250 characters, so the downgrade was refused and "
    "nothing was changed; to go back, restore the backup taken before the upgrade."
)


@pytest.fixture
def engine(fresh_backend: str) -> Iterator[Engine]:
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


def store_param(engine: Engine, value: str) -> None:
    """One experiment with one run holding one param of `value`."""
    experiments = sa.table("experiments", sa.column("experiment_id"), sa.column("name"))
    runs = sa.table("runs", sa.column("run_uuid"), sa.column("experiment_id"))
    params = sa.table("params", sa.column("key"), sa.column("value"), sa.column("run_uuid"))
    with engine.begin() as connection:
        connection.execute(experiments.insert().values(experiment_id=1, name="e"))
        connection.execute(runs.insert().values(run_uuid=RUN, experiment_id=1))
        connection.execute(params.insert().values(key="p", value=value, run_uuid=RUN))


def param_value_length(engine: Engine) -> int:
    columns = sa.inspect(engine).get_columns("params")
    value_type = next(c["type"] for c in columns if c["name"] == "value")
    assert isinstance(value_type, sa.String) and value_type.length is not None
    return value_type.length


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return runner.current_revision(connection)


def test_downgrade_shrinks_the_column_when_every_value_fits(engine: Engine) -> None:
    runner.upgrade(engine, WIDENED)
    store_param(engine, "v" * 250)
    assert param_value_length(engine) == 500

    runner.downgrade(engine, BELOW)

    assert revision_of(engine) == BELOW
    assert param_value_length(engine) == 250
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT value FROM params")).scalar_one() == "v" * 250


def test_cli_refuses_a_value_too_long_and_changes_nothing(
    engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(engine, WIDENED)
    store_param(engine, "v" * 251)
    before = snapshot(engine)

    result = run_trackstore("db", "downgrade", fresh_backend, BELOW)

    assert result.returncode != 0
    assert REFUSAL in result.stderr
    assert revision_of(engine) == WIDENED
    assert snapshot(engine) == before


def test_refusal_many_steps_down_happens_before_the_first_step(engine: Engine) -> None:
    """From head, the steps above cc1f77228345 would succeed; the refusal must precede them."""
    runner.upgrade(engine, "head")
    store_param(engine, "v" * 300)
    before = snapshot(engine)

    with pytest.raises(TrackstoreError, match=re.escape(REFUSAL)):
        runner.downgrade(engine, BELOW)

    assert revision_of(engine) == runner.head_revision()
    assert snapshot(engine) == before
