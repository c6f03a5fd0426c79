"""GET metrics/get-history-bulk-interval: the sampled history of one metric over many runs, which
MLflow's UI draws its charts from (under /api/2.0 and /ajax-api/2.0, as MLflow serves it)."""

from store.common.errors import StoreError
from store.server.messages import Message, schema_refusal
from store.server.routing import Endpoint, Result
from store.server.stores import Stores
from store.tracking.sampling import StepRange

MAX_RUNS = 100
MAX_RESULTS_PER_RUN = 2500


def get_metric_history_bulk_interval(stores: Stores, message: Message) -> Result:
    run_ids = message.texts("run_ids")
    if not run_ids:
        raise message.missing("run_ids")
    if len(run_ids) > MAX_RUNS:
        raise schema_refusal(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    metric_key = message.required_text("metric_key")
    steps = step_range(message)
    max_results = message.integer("max_results", MAX_RESULTS_PER_RUN)
    if not 1 <= max_results <= MAX_RESULTS_PER_RUN:
        raise schema_refusal(f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.")
    found = stores.tracking.get_metric_history_bulk_interval(
        run_ids, metric_key, max_results, steps
    )
    return (
        {"metrics": [{**m.to_json(), "run_id": run_id} for run_id, m in found]} if found else None
    )


def step_range(message: Message) -> StepRange | None:
    """The steps asked for: both ends or neither, the start not after the end."""
    start, end = message.integer("start_step"), message.integer("end_step")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise StoreError("If either start step or end step are specified, both must be specified.")
    if start > end:
        raise StoreError(
            "end_step must be greater than start_step. "
            f"Found start_step={start} and end_step={end}."
        )
    return StepRange(start, end)


ENDPOINTS = [
    Endpoint("GET", "/metrics/get-history-bulk-interval", get_metric_history_bulk_interval)
]
