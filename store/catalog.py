"""The head tables of the model registry, logged models and traces, by their MLflow names.

Like the tracking store (`store.tables`), these stores work with Core tables: set-based
statements, no object per row. `logged_models` and `logged_model_metrics` are in
`store.tables`, which the tracking store shares.
"""

from sqlalchemy import Table

from store.models import metadata


def _table(name: str) -> Table:
    return metadata.tables[name]


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
