"""The head tables the stores read and write, looked up by their MLflow names.

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
registered_models = _table("registered_models")
registered_model_tags = _table("registered_model_tags")
registered_model_aliases = _table("registered_model_aliases")
model_versions = _table("model_versions")
model_version_tags = _table("model_version_tags")

logged_model_params = _table("logged_model_params")
logged_model_tags = _table("logged_model_tags")

trace_info = _table("trace_info")
trace_tags = _table("trace_tags")
trace_request_metadata = _table("trace_request_metadata")
assessments = _table("assessments")
spans = _table("spans")
span_metrics = _table("span_metrics")
trace_metrics = _table("trace_metrics")
entity_associations = _table("entity_associations")
