"""Trace info endpoints (the V2 API the MLflow 3.1.4 client calls on a non-Databricks server)."""

from collections.abc import Mapping

from store.server.fields import page, search_options
from store.server.messages import Message
from store.server.routing import Endpoint, Result
from store.server.stores import Stores

STATUSES = {"TRACE_STATUS_UNSPECIFIED": 0, "OK": 1, "ERROR": 2, "IN_PROGRESS": 3}
# The page size MLflow's server refuses above before its store sees a trace search.
TRACES_PAGE_LIMIT = 500


def pairs(message: Message, name: str) -> Mapping[str, str]:
    """A repeated {key, value} field as a mapping; the last value of a key wins."""
    return {item.required_text("key"): item.text("value", "") for item in message.objects(name)}


def start_trace(stores: Stores, message: Message) -> Result:
    trace = stores.traces.start_trace(
        experiment_id=message.text("experiment_id") or "",
        timestamp_ms=message.integer("timestamp_ms", 0),
        request_metadata=pairs(message, "request_metadata"),
        tags=pairs(message, "tags"),
    )
    return {"trace_info": trace.to_json()}


def end_trace(stores: Stores, message: Message) -> Result:
    trace = stores.traces.end_trace(
        request_id=message.required_text("request_id"),
        timestamp_ms=message.integer("timestamp_ms", 0),
        status=message.enum("status", STATUSES) or "TRACE_STATUS_UNSPECIFIED",
        request_metadata=pairs(message, "request_metadata"),
        tags=pairs(message, "tags"),
    )
    return {"trace_info": trace.to_json()}


def get_trace_info(stores: Stores, message: Message) -> Result:
    trace = stores.traces.get_trace_info(message.required_text("request_id"))
    return {"trace_info": trace.to_json()}


def search_traces(stores: Stores, message: Message) -> Result:
    traces, token = stores.traces.search_traces(
        experiment_ids=message.required_texts("experiment_ids"),
        **search_options(message, TRACES_PAGE_LIMIT),
    )
    return page([trace.to_json() for trace in traces], token, "traces")


def delete_traces(stores: Stores, message: Message) -> Result:
    deleted = stores.traces.delete_traces(
        experiment_id=message.required_text("experiment_id"),
        max_timestamp_millis=message.integer("max_timestamp_millis"),
        max_traces=message.integer("max_traces"),
        request_ids=message.texts("request_ids") or None,
    )
    return {"traces_deleted": deleted}


def set_trace_tag(stores: Stores, message: Message) -> Result:
    stores.traces.set_trace_tag(
        message.required_text("request_id"),
        message.required_text("key"),
        message.text("value", ""),
    )
    return None


def delete_trace_tag(stores: Stores, message: Message) -> Result:
    stores.traces.delete_trace_tag(
        message.required_text("request_id"), message.required_text("key")
    )
    return None


def link_traces_to_run(stores: Stores, message: Message) -> Result:
    stores.traces.link_traces_to_run(message.texts("trace_ids"), message.required_text("run_id"))
    return None


ENDPOINTS = [
    Endpoint("POST", "/traces/link-to-run", link_traces_to_run),
    Endpoint("POST", "/traces", start_trace),
    Endpoint("GET", "/traces", search_traces),
    Endpoint("POST", "/traces/delete-traces", delete_traces),
    Endpoint("PATCH", "/traces/{request_id}", end_trace),
    Endpoint("GET", "/traces/{request_id}/info", get_trace_info),
    Endpoint("PATCH", "/traces/{request_id}/tags", set_trace_tag),
    Endpoint("DELETE", "/traces/{request_id}/tags", delete_trace_tag),
]
