"""Traces in one database, served by both programs: what the MLflow 3.18 client writes through
`trackstore server`, `mlflow server` 3.18.0 then serves with the same answers, and the other way
round (trace infos, spans, tags, assessments, searches over them).

Each direction starts the writing server on a new database of the chosen backend, writes and
reads through the client, stops it, starts the other server on the same database and reads
again; the two readings must be equal once ids and clock values are placeholders.
"""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command

mlflow = pytest.importorskip("mlflow", minversion="3.18")
from mlflow import MlflowClient  # noqa: E402

from tests.mlflow_compat.test_traces_v3 import (  # noqa: E402
    error_code,
    experiment_id,
    normalise,
    synchronous_tracing,
    traced_calls,
)

pytestmark = [
    pytest.mark.mlflow_compat,
    pytest.mark.backends("sqlite", "postgresql"),
    pytest.mark.usefixtures(synchronous_tracing.__name__),
]
SERVERS = ("mlflow", "trackstore")


@contextmanager
def serving(name: str, uri: str, root: Path) -> Iterator[LiveServer]:
    """`name`'s server on the database at `uri`, the tracking URI pointing at it meanwhile."""
    port = free_port()
    if name == "trackstore" and not uri.startswith("sqlite"):
        # Only SQLite files get their schema when the server starts; a database the other
        # program already filled is at head, and the upgrade then changes nothing.
        upgrade = [sys.executable, "-m", "store.cli", "db", "upgrade", uri]
        subprocess.run(upgrade, check=True, capture_output=True)
    command = mlflow_command(uri, port, 1) if name == "mlflow" else trackstore_command(uri, port, 1)
    with pytest.MonkeyPatch.context() as environment:
        environment.chdir(root)
        server = start(command, port, root / f"{name}-{port}.log", timeout=180)
    try:
        mlflow.set_tracking_uri(server.url)
        yield server
    finally:
        server.stop()


def write(client: MlflowClient) -> list[str]:
    """Traces with spans, a tag, a deleted tag and assessments of each kind."""
    ids = traced_calls("interop")
    client.set_trace_tag(ids[0], "reviewed", "yes")
    client.set_trace_tag(ids[0], "gone", "soon")
    client.delete_trace_tag(ids[0], "gone")
    feedback = mlflow.log_feedback(trace_id=ids[0], name="relevance", value=0.8, rationale="ok")
    mlflow.log_expectation(trace_id=ids[0], name="expected", value={"answer": "42"})
    mlflow.update_assessment(
        trace_id=ids[0],
        assessment_id=feedback.assessment_id,
        assessment=mlflow.entities.Feedback(name="relevance", value=0.9),
    )
    mlflow.log_feedback(trace_id=ids[1], name="correct", value=False)
    return ids


def read(client: MlflowClient, ids: list[str]) -> Any:
    """What the client answers about the traces written: each trace, and searches."""
    experiment = experiment_id(client, "interop")

    def search(text: str | None = None) -> Any:
        found = client.search_traces(locations=[experiment], filter_string=text)
        return [trace.info.trace_id for trace in found]

    return {
        "traces": [client.get_trace(trace_id) for trace_id in ids],
        "all": search(),
        "by span": search("span.type = 'LLM'"),
        "by tag": search("tags.reviewed = 'yes'"),
        "by feedback": search("feedback.relevance > 0.85"),
        "by tokens": search("metadata.`mlflow.trace.tokenUsage` IS NOT NULL"),
        "missing": error_code(lambda: client.get_trace("tr-" + "0" * 32)),
    }


@pytest.mark.parametrize("writer", SERVERS)
def test_each_serves_the_traces_the_other_wrote(
    fresh_backend: str, tmp_path: Path, writer: str
) -> None:
    reader = next(name for name in SERVERS if name != writer)
    with serving(writer, fresh_backend, tmp_path) as server:
        client = MlflowClient(server.url)
        ids = write(client)
        written = normalise(read(client, ids))
    with serving(reader, fresh_backend, tmp_path) as server:
        served = normalise(read(MlflowClient(server.url), ids))
    assert written["by feedback"] == ["<trace 0>"]
    assert served == written
