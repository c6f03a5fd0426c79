"""POST experiments/search-datasets: the datasets the runs of some experiments used, for the
UI's dataset filter (served under /ajax-api/2.0 only, as MLflow serves it)."""

from typing import Any

from store.common.errors import StoreError
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.stores import Stores

MAX_EXPERIMENTS = 20


def search_datasets(stores: Stores, message: Message) -> Result:
    experiment_ids = _experiment_ids(message.raw("experiment_ids"))
    if not experiment_ids:
        raise StoreError("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENTS:
        raise StoreError(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENTS} experiment_ids. "
            f"Received {len(experiment_ids)} experiment_ids."
        )
    summaries = stores.tracking.search_datasets(experiment_ids)
    return {"dataset_summaries": [s.to_json() for s in summaries]} if summaries else None


def _experiment_ids(value: Any) -> list[str]:
    """The ids when they are a list of strings; MLflow reads any other shape as none at all."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return []


AJAX_ENDPOINTS = [Endpoint("POST", "/experiments/search-datasets", search_datasets, json_only=True)]
