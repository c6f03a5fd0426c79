"""Run endpoints: create, read, search, update, delete, restore, and what is logged to a run."""

from store.common.errors import StoreError
from store.common.json_text import parsed_as
from store.server.fields import VIEW_TYPES, key_values, page, search_options
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.stores import Stores
from store.tracking.entities import Dataset, DatasetInput, Metric, ModelOutput, Tag

RUN_STATUSES = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
HISTORY_BULK_MAX_RESULTS = 25_000
HISTORY_BULK_MAX_RUNS = 100
# The page size MLflow's server refuses above before its store sees the search.
RUNS_PAGE_LIMIT = 50_000


def create_run(stores: Stores, message: Message) -> Result:
    run = stores.tracking.create_run(
        experiment_id=message.text("experiment_id", ""),
        user_id=message.text("user_id") or None,
        start_time=message.integer("start_time"),
        tags=key_values(message, "tags"),
        run_name=message.text("run_name") or None,
    )
    return {"run": run.to_json()}


def get_run(stores: Stores, message: Message) -> Result:
    return {"run": stores.tracking.get_run(message.run_id()).to_json()}


def update_run(stores: Stores, message: Message) -> Result:
    info = stores.tracking.update_run_info(
        message.run_id(),
        run_status=message.enum("status", RUN_STATUSES),
        end_time=message.integer("end_time"),
        run_name=message.text("run_name"),
    )
    return {"run_info": info.to_json()}


def delete_run(stores: Stores, message: Message) -> Result:
    stores.tracking.delete_run(message.required_text("run_id"))
    return None


def restore_run(stores: Stores, message: Message) -> Result:
    stores.tracking.restore_run(message.required_text("run_id"))
    return None


def search_runs(stores: Stores, message: Message) -> Result:
    found = stores.tracking.search_runs(
        experiment_ids=message.texts("experiment_ids"),
        run_view_type=message.enum("run_view_type", VIEW_TYPES),
        **search_options(message, RUNS_PAGE_LIMIT),
    )
    return page([run.to_json() for run in found.items], found.next_page_token, "runs")


def log_metric(stores: Stores, message: Message) -> Result:
    run_id = message.run_id()
    stores.tracking.log_metric(run_id, metric(message, run_id))
    return None


def metric(message: Message, run_id: str | None = None) -> Metric:
    return Metric(
        key=message.required_text("key"),
        value=message.number("value"),
        timestamp=message.required_integer("timestamp"),
        step=message.integer("step", 0),
        dataset_name=message.text("dataset_name") or None,
        dataset_digest=message.text("dataset_digest") or None,
        model_id=message.text("model_id") or None,
        run_id=run_id,
    )


def log_param(stores: Stores, message: Message) -> Result:
    stores.tracking.log_param(
        message.run_id(), message.required_text("key"), message.text("value", "")
    )
    return None


def set_tag(stores: Stores, message: Message) -> Result:
    stores.tracking.set_tag(
        message.run_id(), message.required_text("key"), message.text("value", "")
    )
    return None


def delete_tag(stores: Stores, message: Message) -> Result:
    stores.tracking.delete_tag(message.required_text("run_id"), message.required_text("key"))
    return None


def log_batch(stores: Stores, message: Message) -> Result:
    stores.tracking.log_batch(
        message.required_text("run_id"),
        metrics=[metric(item) for item in message.objects("metrics")],
        params=key_values(message, "params"),
        tags=key_values(message, "tags"),
    )
    return None


def log_inputs(stores: Stores, message: Message) -> Result:
    stores.tracking.log_inputs(
        message.required_text("run_id"),
        dataset_inputs=[dataset_input(item) for item in message.objects("datasets")],
        model_ids=[item.required_text("model_id") for item in message.objects("models")],
    )
    return None


def dataset_input(message: Message) -> DatasetInput:
    fields = message.object("dataset") or Message({})
    dataset = Dataset(
        name=fields.text("name", ""),
        digest=fields.text("digest", ""),
        source_type=fields.text("source_type", ""),
        source=fields.text("source", ""),
        schema=fields.text("schema"),
        profile=fields.text("profile"),
    )
    tags = [Tag(tag.required_text("key"), tag.text("value", "")) for tag in message.objects("tags")]
    return DatasetInput(dataset, tags)


def log_outputs(stores: Stores, message: Message) -> Result:
    run_id = message.required_text("run_id")
    models = [
        ModelOutput(item.required_text("model_id"), item.integer("step", 0))
        for item in message.objects("models")
    ]
    if not models:
        raise message.missing("models")
    stores.tracking.log_outputs(run_id, models)
    return None


def log_model(stores: Stores, message: Message) -> Result:
    """Record a model in the run's log-model history; `model_json` is its MLmodel as JSON."""
    text = message.required_text("model_json")
    model = parsed_as(text, dict)
    if model is None:
        raise StoreError(
            f"Malformed model info: model_json {text[:100]!r} is not a JSON object; send the "
            "model's MLmodel as a JSON object."
        )
    stores.tracking.record_logged_model(message.required_text("run_id"), model)
    return None


def get_metric_history(stores: Stores, message: Message) -> Result:
    found = stores.tracking.get_metric_history(
        message.run_id(),
        message.required_text("metric_key"),
        max_results=message.integer("max_results"),
        page_token=message.text("page_token") or None,
    )
    return page([m.to_json() for m in found.items], found.next_page_token, "metrics")


def get_metric_history_bulk(stores: Stores, message: Message) -> Result:
    """One metric's history over several runs (`run_id` repeated), for the UI's charts."""
    run_ids = message.texts("run_id")
    if not run_ids:
        raise StoreError("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > HISTORY_BULK_MAX_RUNS:
        raise StoreError(
            f"GetMetricHistoryBulk request cannot specify more than {HISTORY_BULK_MAX_RUNS} "
            f"run_ids. Received {len(run_ids)} run_ids."
        )
    key = message.text("metric_key")
    if key is None:
        raise StoreError("GetMetricHistoryBulk request must specify a metric_key.")
    limit = min(message.integer("max_results", HISTORY_BULK_MAX_RESULTS), HISTORY_BULK_MAX_RESULTS)
    found = stores.tracking.get_metric_history_bulk(sorted(run_ids), key, limit)
    return page([{**m.to_json(), "run_id": run_id} for run_id, m in found], None, "metrics")


ENDPOINTS = [
    Endpoint("POST", "/runs/create", create_run),
    Endpoint("GET", "/runs/get", get_run),
    Endpoint("POST", "/runs/update", update_run),
    Endpoint("POST", "/runs/delete", delete_run),
    Endpoint("POST", "/runs/restore", restore_run),
    Endpoint("POST", "/runs/search", search_runs),
    Endpoint("POST", "/runs/log-metric", log_metric),
    Endpoint("POST", "/runs/log-parameter", log_param),
    Endpoint("POST", "/runs/set-tag", set_tag),
    Endpoint("POST", "/runs/delete-tag", delete_tag),
    Endpoint("POST", "/runs/log-batch", log_batch),
    Endpoint("POST", "/runs/log-inputs", log_inputs),
    Endpoint("POST", "/runs/outputs", log_outputs),
    Endpoint("POST", "/runs/log-model", log_model),
    Endpoint("GET", "/metrics/get-history", get_metric_history),
]

# Served under the /ajax-api prefix only, as MLflow's UI calls it.
AJAX_ENDPOINTS = [Endpoint("GET", "/metrics/get-history-bulk", get_metric_history_bulk)]
