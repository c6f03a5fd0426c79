"""Every row an import writes, comparable across two databases.

Ids the file store does not keep (MLflow's migrate-filestore draws dataset and input uuids at
random) are replaced by what they identify: a dataset by its experiment, name and digest, an
input by its two ends.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from store.common import tables
from store.filestore_import.sinks import ORDER

DRAWN = {"dataset_uuid", "input_uuid"}


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        raw = {
            table.name: [row._asdict() for row in connection.execute(select(table))]
            for table in (tables.experiments, *ORDER)
        }
    engine.dispose()
    datasets = {row["dataset_uuid"]: (row["name"], row["digest"]) for row in raw["datasets"]}
    inputs = {}
    for row in raw["inputs"]:
        row["source_id"] = datasets.get(row["source_id"], row["source_id"])
        inputs[row["input_uuid"]] = (row["source_id"], row["destination_id"])
    for row in raw["input_tags"]:
        row["input"] = inputs[row["input_uuid"]]
    return {
        name: sorted(
            tuple(sorted((k, repr(v)) for k, v in row.items() if k not in DRAWN)) for row in rows
        )
        for name, rows in raw.items()
    }
