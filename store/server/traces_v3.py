"""MLflow 3's trace endpoints (`/api/3.0/mlflow/traces...`) and the OTLP span endpoint.

The MLflow 3.18 client logs each span to `/v1/traces` as it ends, then the trace info to
`POST /api/3.0/mlflow/traces`; it reads traces back with their spans and assessments here.
"""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from store.common.errors import INVALID_PARAMETER_VALUE
from store.server.fields import page
from store.server.messages import Message
from store.server.responses import error_response, failure_response, json_response
from store.server.routing import Endpoint, Result, routes
from store.server.stores import Stores
from store.server.traces import TRACES_PAGE_LIMIT, delete_traces
from store.traces.otlp import decompressed, read_export_request

V3_PREFIXES = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")
OTLP_TRACES_PATH = "/v1/traces"
EXPERIMENT_HEADER = "x-mlflow-experiment-id"


def start_trace(stores: Stores, message: Message) -> Result:
    trace = message.document("trace")
    info = stores.traces.start_trace_v3(trace.get("trace_info") or {})
    return {"trace": {"trace_info": info}}


def get_trace_info(stores: Stores, message: Message) -> Result:
    return {
        "trace": {"trace_info": stores.traces.get_trace_info_v3(message.required_text("trace_id"))}
    }


def get_trace(stores: Stores, message: Message) -> Result:
    return {"trace": stores.traces.get_trace(message.required_text("trace_id"))}


def batch_get_traces(stores: Stores, message: Message) -> Result:
    found = stores.traces.batch_get_traces(message.texts("trace_ids"), _scope(message))
    return {"traces": found}


def batch_get_trace_infos(stores: Stores, message: Message) -> Result:
    found = stores.traces.batch_get_trace_infos(message.texts("trace_ids"), _scope(message))
    return {"trace_infos": found}


def _scope(message: Message) -> list[str] | None:
    """The experiments a batch read is limited to; None when the request names none."""
    return message.texts("experiment_ids") or None


def search_traces(stores: Stores, message: Message) -> Result:
    locations = message.objects("locations")
    if not locations:
        raise message.missing("locations")
    experiment_ids = [
        location.document("mlflow_experiment").get("experiment_id", "") for location in locations
    ]
    max_results = message.bounded_integer("max_results", TRACES_PAGE_LIMIT)
    traces, token = stores.traces.search_traces_v3(
        experiment_ids=experiment_ids,
        filter_string=message.text("filter") or None,
        max_results=100 if max_results is None else max_results,
        order_by=message.texts("order_by") or None,
        page_token=message.text("page_token") or None,
    )
    return page(list(traces), token, "traces")


def create_assessment(stores: Stores, message: Message) -> Result:
    assessment = {**message.document("assessment"), "trace_id": message.required_text("trace_id")}
    return {"assessment": stores.traces.create_assessment(assessment)}


def get_assessment(stores: Stores, message: Message) -> Result:
    found = stores.traces.get_assessment(
        message.required_text("trace_id"), message.required_text("assessment_id")
    )
    return {"assessment": found}


def update_assessment(stores: Stores, message: Message) -> Result:
    updated = stores.traces.update_assessment(
        message.required_text("trace_id"),
        message.required_text("assessment_id"),
        message.document("assessment"),
        message.field_mask("update_mask"),
    )
    return {"assessment": updated}


def delete_assessment(stores: Stores, message: Message) -> Result:
    stores.traces.delete_assessment(
        message.required_text("trace_id"), message.required_text("assessment_id")
    )
    return None


def set_trace_tag_v3(stores: Stores, message: Message) -> Result:
    stores.traces.set_trace_tag(
        message.required_text("trace_id"), message.required_text("key"), message.text("value", "")
    )
    return None


def delete_trace_tag_v3(stores: Stores, message: Message) -> Result:
    stores.traces.delete_trace_tag(message.required_text("trace_id"), message.required_text("key"))
    return None


# Fixed paths come before /traces/{trace_id}, which would take them as an id.
ENDPOINTS = [
    Endpoint("POST", "/traces", start_trace),
    Endpoint("GET", "/traces/get", get_trace),
    Endpoint("GET", "/traces/batchGet", batch_get_traces),
    Endpoint("POST", "/traces/batchGetInfos", batch_get_trace_infos),
    Endpoint("POST", "/traces/search", search_traces),
    Endpoint("POST", "/traces/delete-traces", delete_traces),
    Endpoint("GET", "/traces/{trace_id}", get_trace_info),
    Endpoint("PATCH", "/traces/{trace_id}/tags", set_trace_tag_v3),
    Endpoint("DELETE", "/traces/{trace_id}/tags", delete_trace_tag_v3),
    Endpoint("POST", "/traces/{trace_id}/assessments", create_assessment),
    Endpoint("GET", "/traces/{trace_id}/assessments/{assessment_id}", get_assessment),
    Endpoint("PATCH", "/traces/{trace_id}/assessments/{assessment_id}", update_assessment),
    Endpoint("DELETE", "/traces/{trace_id}/assessments/{assessment_id}", delete_assessment),
]


async def export_spans(request: Request) -> Response:
    """OTLP/HTTP export: the spans of one request are stored together or not at all."""
    experiment_id = request.headers.get(EXPERIMENT_HEADER)
    if not experiment_id:
        # 422, as MLflow's server answers a request its route's required header is missing from.
        return error_response(
            INVALID_PARAMETER_VALUE,
            f"The {EXPERIMENT_HEADER} header is missing; send the experiment's id in it.",
            422,
        )
    try:
        body = decompressed(await request.body(), request.headers.get("content-encoding"))
        received = read_export_request(body, request.headers.get("content-type"))
        stores: Stores = request.app.state.stores
        stores.traces.log_spans(experiment_id, received)
    except Exception as exc:
        return failure_response(exc)
    if (request.headers.get("content-type") or "").startswith("application/json"):
        return json_response({})
    return Response(b"", media_type="application/x-protobuf")


def all_routes() -> list[BaseRoute]:
    return [
        *routes(ENDPOINTS, prefixes=V3_PREFIXES),
        Route(OTLP_TRACES_PATH, export_spans, methods=["POST"]),
    ]
