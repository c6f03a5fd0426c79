"""Going down across the revisions whose keys grew (workspaces, endpoint link types) or whose
column loosened (job names on MySQL): done while the rows fit the keys below, otherwise refused
with one sentence and nothing changed."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compat import TrackstoreError, make_engine
from migrations import runner
from tests.cli import run_trackstore
from tests.schema import snapshot

WORKSPACES = "1b5f0d9ad7c1"
BELOW_WORKSPACES = "c8d9e0f1a2b3"
LINKAGE = "c9d4e5f6a7b8"
JOB_NAME = "5d2d30f0abce"
WAY_BACK = (
    "so the downgrade was refused and nothing was changed; to go back, restore the backup "
    "taken before the upgrade."
)


@pytest.fixture
def engine(fresh_backend: str) -> Iterator[Engine]:
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


def insert(engine: Engine, table: str, *rows: dict[str, Any]) -> None:
    columns = [sa.column(name) for name in rows[0]]
    with engine.begin() as connection:
        connection.execute(sa.table(table, *columns).insert(), list(rows))


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(sa.text(sql)))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return runner.current_revision(connection)


def models_in_two_workspaces(engine: Engine, second_name: str) -> None:
    """An experiment and a registered model (with a version) in `default` and in `team`."""
    insert(
        engine,
        "experiments",
        {"experiment_id": 1, "name": "shared", "workspace": "default"},
        {"experiment_id": 2, "name": second_name, "workspace": "team"},
    )
    insert(
        engine,
        "registered_models",
        {"name": "model", "workspace": "default"},
        {"name": second_name, "workspace": "team"},
    )
    insert(engine, "model_versions", {"name": second_name, "version": 1, "workspace": "team"})
    insert(engine, "workspaces", {"name": "team", "description": "a second workspace"})


def test_cli_refuses_while_two_workspaces_share_a_name_and_changes_nothing(
    engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(engine, WORKSPACES)
    models_in_two_workspaces(engine, second_name="shared")
    before = snapshot(engine)

    result = run_trackstore("db", "downgrade", fresh_backend, BELOW_WORKSPACES)

    assert result.returncode != 0
    assert (
        "2 values in experiments.name are names of experiments that another workspace holds "
        f"too, {WAY_BACK}"
    ) in result.stderr
    assert revision_of(engine) == WORKSPACES
    assert snapshot(engine) == before


def test_refuses_a_registry_name_that_two_workspaces_share(engine: Engine) -> None:
    runner.upgrade(engine, WORKSPACES)
    models_in_two_workspaces(engine, second_name="other")
    insert(engine, "registered_models", {"name": "model", "workspace": "team"})

    with pytest.raises(
        TrackstoreError, match=re.escape("2 values in registered_models.name are names")
    ):
        runner.downgrade(engine, BELOW_WORKSPACES)

    assert revision_of(engine) == WORKSPACES


def test_goes_down_keeping_every_row_when_names_are_unique(engine: Engine) -> None:
    runner.upgrade(engine, WORKSPACES)
    models_in_two_workspaces(engine, second_name="other")

    runner.downgrade(engine, BELOW_WORKSPACES)

    assert revision_of(engine) == BELOW_WORKSPACES
    assert rows(engine, "SELECT experiment_id, name FROM experiments") == [
        (1, "shared"),
        (2, "other"),
    ]
    assert rows(engine, "SELECT name FROM registered_models") == [("model",), ("other",)]
    assert rows(engine, "SELECT name, version FROM model_versions") == [("other", 1)]


def test_refuses_an_endpoint_linking_one_model_both_ways(engine: Engine) -> None:
    runner.upgrade(engine, LINKAGE)
    made = {"created_at": 1, "last_updated_at": 1}
    insert(engine, "endpoints", {"endpoint_id": "e", "name": "chat", **made})
    insert(
        engine,
        "model_definitions",
        {"model_definition_id": "d", "name": "gpt", "provider": "p", "model_name": "m", **made},
    )
    insert(
        engine,
        "endpoint_model_mappings",
        *(
            {
                "mapping_id": f"m-{linkage}",
                "endpoint_id": "e",
                "model_definition_id": "d",
                "weight": 1.0,
                "created_at": 1,
                "linkage_type": linkage,
            }
            for linkage in ("PRIMARY", "FALLBACK")
        ),
    )

    with pytest.raises(
        TrackstoreError, match=re.escape("2 values in endpoint_model_mappings.endpoint_id")
    ):
        runner.downgrade(engine, JOB_NAME)

    assert revision_of(engine) == LINKAGE


@pytest.mark.backends("mysql")
def test_refuses_a_job_without_a_name_where_mysql_let_it_in(engine: Engine) -> None:
    runner.upgrade(engine, JOB_NAME)
    insert(
        engine,
        "jobs",
        {
            "id": "j",
            "creation_time": 1,
            "job_name": None,
            "params": "{}",
            "status": 0,
            "retry_count": 0,
            "last_update_time": 1,
        },
    )

    with pytest.raises(TrackstoreError, match=re.escape("1 value in jobs.job_name is empty")):
        runner.downgrade(engine, "1bd49d398cd23")

    assert revision_of(engine) == JOB_NAME
