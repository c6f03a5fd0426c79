"""Where an import's rows go: into the database, one transaction per experiment or registered
model, or only into counts (--dry-run, and the read-through that --strict makes first).

Rows are buffered and sent table by table in the order of the foreign keys between them, a few
thousand at a time, so that memory stays bounded however large an experiment is. Every insert
skips rows whose key is stored already: a re-run after an interruption adds only what is
missing.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine import Row as ResultRow

from compat import dialect_for
from compat.transactions import writing
from compat.upsert import RowTuples, insert_missing
from store.common import tables
from store.filestore_import.rows import Row
from store.tracking.batch import METRIC_COLUMNS

# Rows buffered before they are sent; a run's 2,000 points are about 200 KB of tuples.
FLUSH_ROWS = 20_000
# The tag an experiment gets when its file store id does not fit the target's id column, so
# that a re-run finds it again.
SOURCE_ID_TAG = "trackstore.sourceExperimentId"
# Parents before children.
ORDER: tuple[Table, ...] = (
    tables.experiment_tags,
    tables.runs,
    tables.params,
    tables.tags,
    tables.metrics,
    tables.latest_metrics,
    tables.datasets,
    tables.inputs,
    tables.input_tags,
    tables.logged_models,
    tables.logged_model_params,
    tables.logged_model_tags,
    tables.logged_model_metrics,
    tables.trace_info,
    tables.trace_tags,
    tables.trace_request_metadata,
    tables.assessments,
    tables.registered_models,
    tables.registered_model_tags,
    tables.model_versions,
    tables.model_version_tags,
    tables.registered_model_aliases,
)


class CountingSink:
    """Counts the rows an import would write; writes nothing."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.written = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def new_experiment(self, row: Row) -> int:
        self.counts["experiments"] += 1
        return int(row["experiment_id"])

    def add(self, table: Table, row: Row) -> None:
        self.counts[table.name] += 1
        self.written += 1

    def add_metrics(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.counts["metrics"] += len(rows)
        self.written += len(rows)


class DatabaseSink(CountingSink):
    """Writes the rows into the database at `engine`, counting them as it goes."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.dialect = dialect_for(engine.dialect.name)
        self._connection: Connection | None = None
        self._buffers: dict[Table, list[Any]] = {table: [] for table in ORDER}
        self._buffered = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All rows added inside are committed together, or (on any error) none are."""
        with writing(), self.engine.begin() as connection:
            self._connection = connection
            try:
                yield
                self._flush()
            finally:
                self._connection = None
                self._drop_buffers()

    def new_experiment(self, row: Row) -> int:
        """Insert an experiment under its own id where the id column holds it, else under
        the next free id with SOURCE_ID_TAG; the id it got."""
        connection = self._active()
        self.counts["experiments"] += 1
        source_id = int(row["experiment_id"])
        if source_id <= self.dialect.max_integer:
            with self.dialect.explicit_key_insert(connection, tables.experiments.name):
                connection.execute(insert(tables.experiments).values(row))
            self.dialect.advance_key_counter(connection, tables.experiments.name, "experiment_id")
            return source_id
        given = {k: v for k, v in row.items() if k != "experiment_id"}
        result = connection.execute(insert(tables.experiments).values(given))
        target_id = int(cast(ResultRow[Any], result.inserted_primary_key)[0])
        tag = {"key": SOURCE_ID_TAG, "value": str(source_id), "experiment_id": target_id}
        self.add(tables.experiment_tags, tag)
        return target_id

    def add(self, table: Table, row: Row) -> None:
        super().add(table, row)
        self._buffers[table].append(row)
        self._count_buffered(1)

    def add_metrics(self, rows: Sequence[tuple[Any, ...]]) -> None:
        super().add_metrics(rows)
        self._buffers[tables.metrics].extend(rows)
        self._count_buffered(len(rows))

    def _count_buffered(self, number: int) -> None:
        self._buffered += number
        if self._buffered >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        connection = self._active()
        for table in ORDER:
            rows = self._buffers[table]
            if not rows:
                continue
            key = [column.name for column in table.primary_key.columns]
            batch = RowTuples(METRIC_COLUMNS, rows) if table is tables.metrics else rows
            insert_missing(connection, table, batch, key)
            self._buffers[table] = []
        self._buffered = 0

    def _drop_buffers(self) -> None:
        self._buffers = {table: [] for table in ORDER}
        self._buffered = 0

    def _active(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("rows are written only inside transaction()")
        return self._connection
