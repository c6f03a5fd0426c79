"""The head tables the tracking store reads and writes, looked up by their MLflow names.

The store works with these Core tables rather than ORM objects: a page of runs or a batch of
metrics is a few set-based statements, without building an object per row.
"""

from sqlalchemy import Table

from store.models import metadata


def _table(name: str) -> Table:
    return metadata.tables[name]


experiments = _table("experiments")
experiment_tags = _table("experiment_tags")
runs = _table("runs")
tags = _table("tags")
params = _table("params")
metrics = _table("metrics")
latest_metrics = _table("latest_metrics")
datasets = _table("datasets")
inputs = _table("inputs")
input_tags = _table("input_tags")
logged_models = _table("logged_models")
logged_model_metrics = _table("logged_model_metrics")
