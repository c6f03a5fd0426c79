"""Revisions 64-70 refuse data they cannot carry over, in one sentence, changing nothing.

Each case fills a database just below the revision, runs `trackstore db upgrade` (or
downgrade) through the command, and checks the sentence, the exit code, the recorded revision
and the schema; then it corrects the data and shows the same command going through.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compat import dialect_for, make_engine
from migrations import runner
from tests.cli import run_trackstore
from tests.schema import snapshot

TRACE = "tr-1"
BEFORE_ANALYTICS = "b7e2c1a4d9f3"
ANALYTICS = "75868b020152"
BEFORE_ISSUES = "e7d1f4b2a9c6"
ISSUES = "8b6ad64cb8f5"
BEFORE_MCP = "8b6ad64cb8f5"
MCP = "f4a9b2c7d1e6"
TAGS_WIDENED = "17e22815139b"
BELOW_TAGS = "1971f2d9a75b"


@pytest.fixture
def engine(fresh_backend: str) -> Iterator[Engine]:
    engine = make_engine(fresh_backend)
    yield engine
    engine.dispose()


def insert(engine: Engine, table: str, *rows: dict[str, Any]) -> None:
    """Insert `rows`; a dict value goes in as JSON text, whatever type the column reflects as
    (MariaDB's JSON is LONGTEXT)."""
    columns = [
        sa.column(name, sa.JSON()) if isinstance(value, dict) else sa.column(name)
        for name, value in rows[0].items()
    ]
    with engine.begin() as connection:
        connection.execute(sa.table(table, *columns).insert(), list(rows))


def execute(engine: Engine, sql: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(sql))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return runner.current_revision(connection)


def refused(engine: Engine, uri: str, sentence: str, *command: str) -> None:
    """`command` fails saying `sentence` and leaves the revision and the schema as they were."""
    revision, schema = revision_of(engine), snapshot(engine)
    result = run_trackstore(*command)
    assert result.returncode != 0
    assert sentence in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert (revision_of(engine), snapshot(engine)) == (revision, schema)


def with_experiment_and_trace(engine: Engine) -> None:
    insert(engine, "experiments", {"experiment_id": 1, "name": "e", "lifecycle_stage": "active"})
    insert(
        engine,
        "trace_info",
        {"request_id": TRACE, "experiment_id": 1, "timestamp_ms": 5, "status": "OK"},
    )


def span(trace_id: str, attributes: Any) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "experiment_id": 1,
        "span_id": "s1",
        "status": "OK",
        "start_time_unix_nano": 1,
        "content": "{}",
        "dimension_attributes": attributes,
    }


def test_spans_with_attributes_beyond_model_and_provider_refuse_the_analytics_upgrade(
    engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(engine, BEFORE_ANALYTICS)
    with_experiment_and_trace(engine)
    insert(engine, "spans", span(TRACE, {"mlflow.llm.model": "gpt", "color": "red"}))

    refused(
        engine,
        fresh_backend,
        "spans.dimension_attributes of span 's1' in trace 'tr-1' holds more than the "
        "mlflow.llm.model and mlflow.llm.provider texts the upgrade carries over, so it was "
        "refused and nothing was changed",
        *("db", "upgrade", fresh_backend, "--revision", ANALYTICS),
    )

    execute(engine, "UPDATE spans SET dimension_attributes = NULL")
    assert run_trackstore("db", "upgrade", fresh_backend, "--revision", ANALYTICS).returncode == 0
    assert revision_of(engine) == ANALYTICS


def test_assessments_of_a_missing_trace_refuse_the_analytics_upgrade(
    engine: Engine, fresh_backend: str
) -> None:
    """Only a database that does not enforce foreign keys can hold such rows: SQLite opened
    by a client that left them off (SQLite's default)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the other databases enforce the key from assessments to trace_info")
    runner.upgrade(engine, BEFORE_ANALYTICS)
    with_experiment_and_trace(engine)
    insert(
        engine,
        "assessments",
        {
            "assessment_id": "a1",
            "trace_id": TRACE,
            "name": "n",
            "assessment_type": "feedback",
            "value": "true",
            "created_timestamp": 1,
            "last_updated_timestamp": 1,
            "source_type": "HUMAN",
            "valid": True,
        },
    )
    keys_off = sa.create_engine(fresh_backend)
    with keys_off.begin() as connection:
        connection.execute(sa.text("DELETE FROM trace_info"))
    keys_off.dispose()

    refused(
        engine,
        fresh_backend,
        "assessments holds rows of trace 'tr-1', which trace_info does not have, so the upgrade "
        "was refused and nothing was changed",
        *("db", "upgrade", fresh_backend, "--revision", ANALYTICS),
    )


def test_issue_categories_that_are_not_a_json_list_of_texts_stop_the_upgrade(
    engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(engine, BEFORE_ISSUES)
    insert(engine, "experiments", {"experiment_id": 1, "name": "e", "lifecycle_stage": "active"})
    issue = {
        "issue_id": "i1",
        "experiment_id": 1,
        "name": "i",
        "description": "d",
        "status": "open",
        "created_timestamp": 1,
        "last_updated_timestamp": 1,
    }
    insert(engine, "issues", {**issue, "categories": json.dumps(["ok", 7])})

    result = run_trackstore("db", "upgrade", fresh_backend, "--revision", ISSUES)

    assert result.returncode != 0
    assert (
        "issues.categories of issue 'i1' is not a JSON list of strings, so the upgrade stopped; "
        "correct or clear that value and upgrade again." in result.stderr
    )
    assert "Traceback" not in result.stderr
    execute(engine, "UPDATE issues SET categories = '[\"ok\"]'")
    assert run_trackstore("db", "upgrade", fresh_backend, "--revision", ISSUES).returncode == 0
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT issue_id, category FROM issue_categories"))
        assert rows.all() == [("i1", "ok")]


def test_experiment_tag_values_go_back_to_5000_characters_only_when_all_fit(
    engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(engine, TAGS_WIDENED)
    insert(engine, "experiments", {"experiment_id": 1, "name": "e", "lifecycle_stage": "active"})
    insert(engine, "experiment_tags", {"key": "k", "value": "v" * 5001, "experiment_id": 1})

    refused(
        engine,
        fresh_backend,
        "1 value in experiment_tags.value is longer than 5000 characters, so the downgrade was "
        "refused and nothing was changed; to go back, restore the backup taken before the "
        "upgrade.",
        *("db", "downgrade", fresh_backend, BELOW_TAGS),
    )

    execute(engine, "UPDATE experiment_tags SET value = 'short'")
    assert run_trackstore("db", "downgrade", fresh_backend, BELOW_TAGS).returncode == 0
    value_type = next(
        c["type"] for c in sa.inspect(engine).get_columns("experiment_tags") if c["name"] == "value"
    )
    assert getattr(value_type, "length", None) == 5000


@pytest.fixture
def mcp_engine(engine: Engine) -> Engine:
    """A database whose key columns ignore case unless told otherwise (MySQL)."""
    if not dialect_for(engine.dialect.name).case_sensitive_key_collation:
        pytest.skip("MCP versions change only where key columns ignore case (MySQL, SQL Server)")
    return engine


def with_mcp_versions(engine: Engine, *versions: str) -> None:
    server = {"workspace": "default", "name": "srv", "created_at": 1, "last_updated_at": 1}
    insert(engine, "mcp_servers", server)
    common = {"version_major": 1, "version_minor": 0, "version_patch": 0}
    insert(
        engine,
        "mcp_server_versions",
        *(
            {
                **server,
                **common,
                "version": version,
                "version_prerelease_sort_key": version,
                "server_json": {},
            }
            for version in versions
        ),
    )


def test_an_alias_spelling_its_version_in_another_case_refuses_case_sensitive_versions(
    mcp_engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(mcp_engine, BEFORE_MCP)
    with_mcp_versions(mcp_engine, "1.0.0-RC1")
    insert(
        mcp_engine,
        "mcp_server_aliases",
        {"workspace": "default", "name": "srv", "alias": "latest", "version": "1.0.0-rc1"},
    )

    refused(
        mcp_engine,
        fresh_backend,
        "mcp_server_aliases.version holds '1.0.0-rc1' for MCP server 'srv' in workspace "
        "'default', whose version is stored as '1.0.0-RC1', so making versions case-sensitive "
        "was refused and nothing was changed",
        *("db", "upgrade", fresh_backend, "--revision", MCP),
    )

    execute(mcp_engine, "UPDATE mcp_server_aliases SET version = '1.0.0-RC1'")
    runner.upgrade(mcp_engine, MCP)
    assert revision_of(mcp_engine) == MCP


def test_two_versions_differing_by_case_refuse_the_way_back(
    mcp_engine: Engine, fresh_backend: str
) -> None:
    runner.upgrade(mcp_engine, MCP)
    with_mcp_versions(mcp_engine, "1.0.0-RC1", "1.0.0-rc1")

    refused(
        mcp_engine,
        fresh_backend,
        "2 values in mcp_server_versions.version are the same as another's but for case (for "
        "one workspace, name), so the downgrade was refused and nothing was changed",
        *("db", "downgrade", fresh_backend, BEFORE_MCP),
    )
