"""The rows an upgrade leaves are MLflow 3.18.0's: the same old database, upgraded by each tool.

Two pairs of databases, each pair on one server. The first gets identical rows at five points
of the chain (the base tables, 451aebb31d03 once metrics have steps, 181f10493468 once they have
is_nan, 1bd49d398cd23 once the registry, secrets, endpoints and jobs are there to be given
workspaces, c3d9e7f1a2b4 before trace analytics move into columns). The second holds what
MLflow 3.1.4 wrote (tracking, registry, logged models, traces: tests/data/mlflow_314_rows.json,
made by ci/mlflow_314_rows.py) in databases MLflow brought to 3.1.4's head. trackstore upgrades
one database of each pair, MLflow 3.18.0 the other, and at head every table holds the same rows
in both; MLflow 3.18.0's own store then reads trackstore's result as it reads its own. On
MariaDB, an upgrade killed part-way and run again ends alike.
"""

import json
import math
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from compat import dialect_for, make_engine
from migrations import base_schema, runner
from tests.cli import run_trackstore
from tests.kill_point import KILLING, WHOLE_CHAIN, KillPoint, counting, upgrade_killed_at
from tests.mlflow_reference import mlflow_upgrade
from tests.twins import twin_database

pytestmark = pytest.mark.mlflow_compat

Rows = list[dict[str, Any]]
INF = float("inf")
# Metric values beyond the finite ones that each database can store in a FLOAT column.
SPECIAL_VALUES = {"postgresql": (math.nan, INF, -INF), "sqlite": (INF, -INF)}
# Run ids deliberately out of insertion order, so that scan order and key order differ.
RUN_IDS = [f"{n:x}" * 32 for n in (12, 3, 9, 1, 15, 6, 10, 4, 13)]
EXPERIMENTS = (1, 2, 3)
MLFLOW_314_ROWS = Path(__file__).resolve().parents[1] / "data" / "mlflow_314_rows.json"
# Where MLflow 3.1.4's chain ends, and with it the rows it wrote.
MLFLOW_314_HEAD = "bda7b8c39065"
# MLflow 3.18.0's head: its store opens a database there as it is (below it, it upgrades first).
MLFLOW_318_HEAD = "f4a9b2c7d1e6"
# The status dc11669786a5 gives jobs that were waiting or running.
CANCELED = 5


def base_rows(backend: str) -> dict[str, Rows]:
    """Experiments, runs with every kind of user_id, tags, params and stepless metrics.

    The first run of experiment 1 in scan order is already tagged, so its other runs stay
    untagged after MLflow's step (see 90e64c465722); elsewhere a blank user_id is tagged.
    """
    user_ids = ["alice", "frank", " ", "bob", "", "carol" * 50, "dave", None, "erin"]
    runs = [
        {
            "run_uuid": run,
            "experiment_id": EXPERIMENTS[i % 3],
            "user_id": user,
            "name": f"run {i}",
            "status": ("RUNNING", "FINISHED", "FAILED", "SCHEDULED")[i % 4],
            "source_type": "LOCAL",
            "lifecycle_stage": "deleted" if i == 4 else "active",
            "start_time": 1_500_000_000_000 + i,
        }
        for i, (run, user) in enumerate(zip(RUN_IDS, user_ids, strict=True))
    ]
    return {
        "experiments": [
            {"experiment_id": e, "name": f"exp {e}", "lifecycle_stage": "active"}
            for e in EXPERIMENTS
        ],
        "runs": runs,
        "tags": [
            {"run_uuid": RUN_IDS[0], "key": "mlflow.user", "value": "already tagged"},
            {"run_uuid": RUN_IDS[3], "key": "note", "value": "x" * 250},
        ],
        "params": [
            {"run_uuid": run, "key": f"p{k}", "value": str(k) * (k * 40)}
            for run in RUN_IDS[:4]
            for k in range(1, 7)
        ],
        "metrics": [
            {"run_uuid": run, "key": key, "value": value, "timestamp": ts}
            for run in RUN_IDS[:3]
            for key, value, ts in (("loss", 0.5, 10), ("loss", 0.25, 20), ("acc", -1.0, 10))
        ],
    }


def stepped_metrics(backend: str) -> dict[str, Rows]:
    """Metrics whose latest row takes every tie-break: step, then timestamp, then value."""
    special = SPECIAL_VALUES.get(backend, ())
    finals = (7.0, *special)
    rows = [
        {"run_uuid": RUN_IDS[4], "key": f"m{s}", "step": step, "timestamp": ts, "value": value}
        for s in range(len(finals))
        for step, ts, value in (
            (3, 100, 1.0),
            (5, 50, 2.0),
            (5, 60, 3.0),
            (5, 60, finals[s]),
            (5, 60, 2.5),
            (-2, 900, 9.0),
        )
    ]
    rows += [
        {"run_uuid": run, "key": "loss", "step": step, "timestamp": 1000 + step // 3, "value": v}
        for run in RUN_IDS[5:]
        for step in range(30)
        for v in (step * 0.1, step * 0.1 + 0.05)
    ]
    rows += [
        {"run_uuid": RUN_IDS[6], "key": "neg", "step": -s, "timestamp": 5, "value": float(s)}
        for s in range(5)
    ]
    return {"metrics": rows}


def flagged_metrics(backend: str) -> dict[str, Rows]:
    """Rows that MLflow itself marks as NaN (value 0, is_nan set) after 181f10493468."""
    return {
        "metrics": [
            {
                "run_uuid": RUN_IDS[7],
                "key": "nan_later",
                "step": step,
                "timestamp": 7,
                "value": 0.0,
                "is_nan": step == 2,
            }
            for step in range(3)
        ]
    }


def workspace_resources(backend: str) -> dict[str, Rows]:
    """Every kind of row that later revisions give a workspace, a link type, a job name or a
    usage flag: a registry with versions, tags and aliases, a secret used by a model
    definition behind two endpoints (one unnamed), jobs, an evaluation dataset, a webhook."""
    made = {"created_at": 1_700_000_000_000, "last_updated_at": 1_700_000_000_001}
    models = ("model a", "model b")
    versions = [(model, version) for model in models for version in (1, 2)]
    return {
        "registered_models": [{"name": model, "creation_time": 5} for model in models],
        "model_versions": [
            {"name": model, "version": version, "current_stage": "None", "source": "s3://m"}
            for model, version in versions
        ],
        "registered_model_tags": [{"name": model, "key": "team", "value": "x"} for model in models],
        "model_version_tags": [
            {"name": model, "version": version, "key": "k", "value": f"{model}/{version}"}
            for model, version in versions
        ],
        "registered_model_aliases": [{"name": "model a", "alias": "champion", "version": 2}],
        "secrets": [
            {
                "secret_id": "s1",
                "secret_name": "openai key",
                "encrypted_value": b"\x00\x01secret",
                "wrapped_dek": b"\xffdek",
                "kek_version": 1,
                "masked_value": "sk-...abc",
                **made,
            }
        ],
        "endpoints": [
            {"endpoint_id": "e1", "name": "chat", **made},
            {"endpoint_id": "e2", "name": None, **made},
        ],
        "model_definitions": [
            {
                "model_definition_id": "d1",
                "name": "gpt",
                "secret_id": "s1",
                "provider": "openai",
                "model_name": "gpt-5",
                **made,
            }
        ],
        "endpoint_model_mappings": [
            {
                "mapping_id": f"m{n}",
                "endpoint_id": endpoint,
                "model_definition_id": "d1",
                "weight": 1.0,
                "created_at": 3,
            }
            for n, endpoint in enumerate(("e1", "e2"))
        ],
        "endpoint_bindings": [
            {"endpoint_id": "e1", "resource_type": "scorer", "resource_id": "r1", **made}
        ],
        "jobs": [
            {
                "id": f"job{n}",
                "creation_time": n,
                "function_fullname": "mlflow.genai.run",
                "params": "{}",
                "status": n,
                "retry_count": 0,
                "last_update_time": n,
            }
            for n in range(2)
        ],
        "evaluation_datasets": [{"dataset_id": "ds1", "name": "golden"}],
        "webhooks": [{"webhook_id": "w1", "name": "hook", "url": "https://example.com"}],
    }


TRACES = [f"tr-{n:02d}" for n in range(8)]
TOKEN_USAGE = [
    {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    {
        "input_tokens": "12",
        "output_tokens": 2.0,
        "total_tokens": 2.5,
        "cache_read_input_tokens": True,
    },
    {"input_tokens": 1e30, "output_tokens": None, "total_tokens": [1]},
    "not JSON",
    [1, 2],
]
SPAN_DIMENSIONS = [
    {"mlflow.llm.model": "gpt", "mlflow.llm.provider": "openai"},
    None,
    {"mlflow.llm.model": None},
    {"mlflow.llm.model": "m" * 600},
]
ASSESSMENT_VALUES = [
    "true",
    "false",
    "3",
    "3.5",
    '"Yes"',
    " no ",
    "1e400",
    '"x"',
    "null",
    "9" * 29,
    "{",
]


def trace_rows(backend: str) -> dict[str, Rows]:
    """Traces, spans, assessments and issues whose names, sessions, tokens, costs, models and
    values take every rule of 75868b020152 and 8b6ad64cb8f5 (clipping, metric rows winning
    over JSON, numbers in text, booleans, non-finite numbers, unreadable JSON)."""
    metadata = [
        _trace_row(n, "mlflow.trace.tokenUsage", u if isinstance(u, str) else json.dumps(u))
        for n, u in enumerate(TOKEN_USAGE)
    ]
    metadata += [
        _trace_row(0, "mlflow.trace.session", "s" * 300),
        _trace_row(5, "mlflow.trace.session", "session"),
        _trace_row(
            0,
            "mlflow.trace.cost",
            json.dumps({"input_cost": 0.5, "output_cost": "0.25", "total_cost": "inf"}),
        ),
        _trace_row(1, "mlflow.trace.cost", json.dumps({"input_cost": True, "total_cost": 2})),
        _trace_row(6, "mlflow.gateway.endpointId", "endpoint"),
        _trace_row(0, "mlflow.gateway.endpointId", "endpoint"),
        _trace_row(6, "other", "kept"),
    ]
    return {
        "trace_info": [
            {
                "request_id": t,
                "experiment_id": EXPERIMENTS[n % 2],
                "timestamp_ms": 1000 + n,
                "status": "OK",
            }
            for n, t in enumerate(TRACES)
        ],
        "trace_tags": [
            _trace_row(0, "mlflow.traceName", "n" * 5000),
            _trace_row(1, "mlflow.traceName", "short"),
            _trace_row(1, "other", "kept"),
        ],
        "trace_request_metadata": metadata,
        "trace_metrics": [
            _trace_row(0, "input_tokens", 99.0),
            _trace_row(1, "input_tokens", 1.5),
            _trace_row(7, "total_tokens", 7.0),
            _trace_row(7, "latency", 7.0),
        ],
        "spans": [
            {
                "trace_id": t,
                "experiment_id": EXPERIMENTS[n % 2],
                "span_id": f"span{s}",
                "status": "OK",
                "start_time_unix_nano": 10 * n + s,
                "end_time_unix_nano": 10 * n + s + 5,
                "content": "{}",
                "dimension_attributes": _json(SPAN_DIMENSIONS[(n + s) % 4], backend),
            }
            for n, t in enumerate(TRACES)
            for s in range(2)
        ],
        "span_metrics": [
            {"trace_id": TRACES[t], "span_id": f"span{s}", "key": key, "value": value}
            for t, s, key, value in (
                (6, 0, "total_cost", 1.25),
                (6, 1, "total_cost", 2.0),
                (6, 1, "input_cost", 0.5),
                (0, 0, "total_cost", 3.0),
                (2, 0, "latency", 3.0),
            )
        ],
        "assessments": [
            {
                "assessment_id": f"a-{n:02d}",
                "trace_id": TRACES[n % len(TRACES)],
                "name": "quality",
                "assessment_type": "feedback",
                "value": value,
                "created_timestamp": n,
                "last_updated_timestamp": n,
                "source_type": "HUMAN",
                "valid": True,
            }
            for n, value in enumerate(ASSESSMENT_VALUES)
        ],
        "issues": [
            {
                "issue_id": f"issue-{n}",
                "experiment_id": EXPERIMENTS[0],
                "name": f"issue {n}",
                "description": "d",
                "status": "open",
                "created_timestamp": 5 + n,
                "last_updated_timestamp": 6 + n,
                "categories": categories,
            }
            for n, categories in enumerate(
                (json.dumps(["Latency", " latency ", "Cost"]), None, json.dumps([]))
            )
        ],
    }


def _json(value: Any, backend: str) -> Any:
    """`value` as a JSON column takes it: as text where JSON columns reflect as text (MariaDB)."""
    return json.dumps(value) if backend == "mysql" and value is not None else value


def _trace_row(trace: int, key: str, value: Any) -> dict[str, Any]:
    return {"request_id": TRACES[trace], "key": key, "value": value}


PHASES: list[tuple[str | None, Callable[[str], dict[str, Rows]]]] = [
    (None, base_rows),
    ("451aebb31d03", stepped_metrics),
    ("181f10493468", flagged_metrics),
    ("1bd49d398cd23", workspace_resources),
    ("c3d9e7f1a2b4", trace_rows),
]


@pytest.fixture(scope="module")
def upgraded_pair(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Engine]]:
    """Both databases filled phase by phase and upgraded to head, each by its own tool."""
    with twin_database(backend, tmp_path_factory) as twin:
        ours, theirs = make_engine(backend), sa.create_engine(twin)
        kind = ours.dialect.name
        base_schema.metadata.create_all(ours)
        base_schema.metadata.create_all(theirs)
        for revision, rows in PHASES:
            if revision is not None:
                runner.upgrade(ours, revision)
                mlflow_upgrade(twin, revision)
            for engine in (ours, theirs):
                insert(engine, rows(kind))
        runner.upgrade(ours, "head")
        mlflow_upgrade(twin, runner.head_revision())
        yield ours, theirs
        ours.dispose()
        theirs.dispose()


def insert(engine: Engine, rows: dict[str, Rows]) -> None:
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for name, table_rows in rows.items():
            connection.execute(tables.tables[name].insert(), table_rows)


def test_every_table_holds_the_same_rows(upgraded_pair: tuple[Engine, Engine]) -> None:
    ours, theirs = upgraded_pair
    assert upgrade_times_hidden(all_rows(ours)) == upgrade_times_hidden(all_rows(theirs))


def upgrade_times_hidden(rows: dict[str, Rows]) -> dict[str, Rows]:
    """`rows` with the time each tool stamped on the jobs it canceled (dc11669786a5) left out:
    the two upgrades ran at different moments."""
    jobs = [
        {**job, "last_update_time": "upgrade time"} if job["status"] == CANCELED else job
        for job in rows["jobs"]
    ]
    return {**rows, "jobs": jobs}


def test_upgrade_filled_the_transformed_tables(upgraded_pair: tuple[Engine, Engine]) -> None:
    """Guards the comparison above against passing on two equally empty results."""
    rows = all_rows(upgraded_pair[0])
    assert len(rows["latest_metrics"]) >= 10
    assert any(
        row["key"] == "mlflow.user" and row["value"] != "already tagged" for row in rows["tags"]
    )
    assert {row["workspace"] for row in rows["model_version_tags"]} == {"default"}
    assert [row["name"] for row in rows["workspaces"]] == ["default"]
    assert {row["linkage_type"] for row in rows["endpoint_model_mappings"]} == {"PRIMARY"}
    first_trace = next(row for row in rows["trace_info"] if row["request_id"] == TRACES[0])
    assert (len(first_trace["trace_name"]), first_trace["input_tokens"]) == (4096, 99)
    assert sum(row["model_name"] is not None for row in rows["spans"]) >= 4
    assert sum(row["is_numeric_value"] for row in rows["assessments"]) == 3
    assert len(rows["issue_categories"]) == 2
    assert {row["status"] for row in rows["jobs"]} == {CANCELED}


def all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as plain dicts in a stable order, with NaN made comparable."""
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(
                (
                    {k: _comparable(v) for k, v in row.items()}
                    for row in connection.execute(sa.select(table)).mappings()
                ),
                key=repr,
            )
            for name, table in tables.tables.items()
        }


def _comparable(value: Any) -> Any:
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


@pytest.fixture(scope="module")
def mlflow_314_data() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MLFLOW_314_ROWS.read_text())
    assert document["revision"] == MLFLOW_314_HEAD
    return document


@dataclass(frozen=True)
class Upgraded:
    """MLflow 3.1.4's rows upgraded to head by trackstore (`ours`) and by MLflow (`theirs`)."""

    ours: Engine
    theirs: Engine
    # The number of statements trackstore's upgrade ran, per revision.
    statements: dict[str, int]
    # MLflow's result as it was before anything else opened it.
    their_rows: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def upgraded_314_pair(
    backend: str, tmp_path_factory: pytest.TempPathFactory, mlflow_314_data: dict[str, Any]
) -> Iterator[Upgraded]:
    """Both databases of the pair (on `backend`'s server; its own database holds the other)."""
    with (
        twin_database(backend, tmp_path_factory) as mine,
        twin_database(backend, tmp_path_factory) as twin,
    ):
        load_mlflow_314(mine, mlflow_314_data)
        load_mlflow_314(twin, mlflow_314_data)
        ours, theirs = make_engine(mine), sa.create_engine(twin)
        with counting(ours, MLFLOW_314_HEAD) as statements:
            runner.upgrade(ours, "head")
        mlflow_upgrade(twin, runner.head_revision())
        yield Upgraded(ours, theirs, dict(statements), all_rows(theirs))
        ours.dispose()
        theirs.dispose()


def load_mlflow_314(uri: str, document: dict[str, Any]) -> None:
    """MLflow 3.1.4's rows in a new database that MLflow brings to their revision first."""
    mlflow_upgrade(uri, document["revision"])
    engine = make_engine(uri)
    tables = sa.MetaData()
    tables.reflect(engine)
    explicit_keys = dialect_for(engine.dialect.name).explicit_key_insert
    try:
        with engine.begin() as connection, explicit_keys(connection, "experiments"):
            for table in tables.sorted_tables:
                if document["tables"].get(table.name):
                    connection.execute(table.insert(), document["tables"][table.name])
    finally:
        engine.dispose()


def test_mlflow_314_data_holds_the_same_rows(upgraded_314_pair: Upgraded) -> None:
    assert all_rows(upgraded_314_pair.ours) == upgraded_314_pair.their_rows


def test_mlflow_314_data_is_all_there_after_the_upgrade(
    upgraded_314_pair: Upgraded, mlflow_314_data: dict[str, Any]
) -> None:
    """Guards the comparison above against passing on two equally emptied databases: every
    table MLflow 3.1.4 filled still holds rows (75868b020152 moves some trace tags and metadata
    into trace_info's columns, so only their counts may fall)."""
    rows = all_rows(upgraded_314_pair.ours)
    emptied = [
        name for name, loaded in mlflow_314_data["tables"].items() if loaded and not rows[name]
    ]
    assert emptied == []
    moved = {"trace_tags", "trace_request_metadata"}
    assert {name: len(rows[name]) for name in mlflow_314_data["tables"] if name not in moved} == {
        name: len(loaded) for name, loaded in mlflow_314_data["tables"].items() if name not in moved
    }


def test_mlflows_store_reads_trackstores_upgrade_as_its_own(
    upgraded_314_pair: Upgraded, tmp_path: Path
) -> None:
    pair = upgraded_314_pair
    assert mlflow_reads(pair.ours, tmp_path) == mlflow_reads(pair.theirs, tmp_path)


@pytest.mark.backends("mysql")
def test_an_upgrade_killed_part_way_ends_alike_when_run_again(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    upgraded_314_pair: Upgraded,
    mlflow_314_data: dict[str, Any],
) -> None:
    """MariaDB has no transactional DDL: a kill inside a revision leaves part of it done."""
    pair = upgraded_314_pair
    point = first_kill_point(pair.statements)
    with twin_database(backend, tmp_path_factory) as uri:
        load_mlflow_314(uri, mlflow_314_data)
        killed = upgrade_killed_at(uri, MLFLOW_314_HEAD, point)
        assert KILLING in killed.stdout and killed.returncode == -signal.SIGKILL, killed.stderr
        rerun = run_trackstore("db", "upgrade", uri, *WHOLE_CHAIN)
        assert rerun.returncode == 0, rerun.stderr
        engine = sa.create_engine(uri)
        try:
            assert all_rows(engine) == pair.their_rows
            assert mlflow_reads(engine, tmp_path) == mlflow_reads(pair.theirs, tmp_path)
        finally:
            engine.dispose()


def first_kill_point(statements: dict[str, int]) -> KillPoint:
    """The second statement of the first revision after 3.1.4's head that runs several."""
    several = [revision for revision, count in statements.items() if count >= 2]
    assert several, f"no revision after {MLFLOW_314_HEAD} runs several statements: {statements}"
    return KillPoint(several[0], 2)


def mlflow_reads(engine: Engine, artifacts: Path) -> dict[str, Any]:
    """What MLflow 3.18.0's own stores answer about everything in the database, which must be
    at MLflow 3.18.0's head already: below it, MLflow's store would upgrade it itself first."""
    from mlflow.entities import ViewType
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    with engine.connect() as connection:
        recorded = runner.current_revision(connection)
    assert recorded == MLFLOW_318_HEAD, f"at {recorded}, not at MLflow 3.18.0's head"
    uri = engine.url.render_as_string(hide_password=False)
    tracking, registry = SqlAlchemyStore(uri, artifacts.as_uri()), RegistryStore(uri)
    try:
        experiments = tracking.search_experiments(view_type=ViewType.ALL)
        ids = [experiment.experiment_id for experiment in experiments]
        runs = tracking.search_runs(ids, "", ViewType.ALL)
        traces, _ = tracking.search_traces(locations=ids)
        return {
            "experiments": [proto(experiment) for experiment in experiments],
            "runs": [proto(run) for run in runs],
            "histories": {
                (run.info.run_id, key): [
                    proto(m) for m in tracking.get_metric_history(run.info.run_id, key)
                ]
                for run in runs
                for key in run.data.metrics
            },
            "logged_models": [proto(model) for model in tracking.search_logged_models(ids)],
            "traces": [proto(trace) for trace in traces],
            "registered_models": [proto(model) for model in registry.search_registered_models()],
            "model_versions": [proto(version) for version in registry.search_model_versions()],
        }
    finally:
        for store in (tracking, registry):
            store.engine.dispose()
            type(store)._engine_map.pop(uri, None)


def proto(entity: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(entity.to_proto())
