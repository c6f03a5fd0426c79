"""The Default experiment: id 0, created once when a store finds no experiment at all."""

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from compat.errors import TrackstoreError
from migrations import runner
from store import models
from store.models.webhooks import Webhook
from store.tracking.bootstrap import check_single_workspace, ensure_default_experiment

ROOT = "s3://bucket/artifacts"


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    runner.upgrade(fresh_engine, fresh=models.SERVED)
    return fresh_engine


def experiments(engine: Engine) -> list[tuple[object, ...]]:
    table = models.Experiment.__table__
    columns = ("experiment_id", "name", "artifact_location", "lifecycle_stage")
    with engine.connect() as connection:
        query = select(*(table.c[c] for c in columns)).order_by(table.c.experiment_id)
        return [tuple(row) for row in connection.execute(query)]


def test_default_experiment_is_created_once(engine: Engine) -> None:
    with engine.begin() as connection:
        assert ensure_default_experiment(connection, ROOT)
    with engine.begin() as connection:
        assert not ensure_default_experiment(connection, ROOT)
    assert experiments(engine) == [(0, "Default", f"{ROOT}/0", "active")]


def test_next_experiment_after_the_default_gets_id_one(engine: Engine) -> None:
    with engine.begin() as connection:
        ensure_default_experiment(connection, ROOT)
        connection.execute(insert(models.Experiment).values(name="second"))
    assert [row[0] for row in experiments(engine)] == [0, 1]


def test_default_experiment_times_are_set_and_equal(engine: Engine) -> None:
    with engine.begin() as connection:
        ensure_default_experiment(connection, ROOT)
        created, updated = connection.execute(
            select(models.Experiment.creation_time, models.Experiment.last_update_time)
        ).one()
    assert created is not None and created == updated and created > 1_600_000_000_000


@pytest.mark.backends("mysql")
def test_session_sql_mode_is_restored_after_inserting_id_zero(engine: Engine) -> None:
    with engine.begin() as connection:
        before = connection.execute(text("SELECT @@SESSION.sql_mode")).scalar()
        ensure_default_experiment(connection, ROOT)
        assert connection.execute(text("SELECT @@SESSION.sql_mode")).scalar() == before


def test_default_experiment_is_in_the_default_workspace(engine: Engine) -> None:
    with engine.begin() as connection:
        ensure_default_experiment(connection, ROOT)
        check_single_workspace(connection)
        workspace = connection.execute(select(models.Experiment.workspace)).scalar_one()
    assert workspace == "default"


@pytest.mark.parametrize(
    ("model", "row", "what"),
    [
        (models.Experiment, {"name": "theirs"}, "experiments"),
        (models.RegisteredModel, {"name": "theirs"}, "registered models"),
        (Webhook, {"webhook_id": "w", "name": "w", "url": "http://h"}, "webhooks"),
    ],
)
def test_rows_in_another_workspace_are_refused(
    engine: Engine, model: type[models.Base], row: dict[str, str], what: str
) -> None:
    """As MLflow 3.18 with workspaces off: it will not open such a database either."""
    with engine.begin() as connection:
        connection.execute(insert(model).values(workspace="team-a", **row))
    with engine.connect() as connection, pytest.raises(TrackstoreError) as refused:
        check_single_workspace(connection)
    assert str(refused.value) == (
        f"This database holds {what} in workspace 'team-a', and trackstore serves only the "
        "'default' workspace (as MLflow does with workspaces off); move them to 'default' or "
        "serve the database with MLflow's multi-workspace mode."
    )
