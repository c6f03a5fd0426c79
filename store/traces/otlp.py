"""OTLP trace export requests read into spans as MLflow 3.18 stores them.

The MLflow client sends its spans to `/v1/traces` as an OTLP `ExportTraceServiceRequest`
(protobuf, or OTLP's JSON with hex ids). Each span becomes the JSON document MLflow keeps in
`spans.content`: ids in base64, the kind and status by their OTLP names, and every attribute
value JSON-encoded once (a value the sender had already encoded is not encoded again).
"""

import base64
import gzip
import json
import zlib
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import Error as JsonFormatError
from google.protobuf.json_format import Parse
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from store.common.errors import StoreError

TRACE_ID_PREFIX = "tr-"
REQUEST_ID_ATTRIBUTE = "mlflow.traceRequestId"
SPAN_TYPE_ATTRIBUTE = "mlflow.spanType"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_HEX_ID_FIELDS = ("traceId", "spanId", "parentSpanId")
# Span status codes as the spans table's status column names them.
_STATUS_NAMES = {Status.STATUS_CODE_OK: "OK", Status.STATUS_CODE_ERROR: "ERROR"}


@dataclass(frozen=True)
class ReceivedSpan:
    """One span: the columns of its `spans` row, and `content`, the document MLflow keeps."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    span_type: str | None
    status: str
    start_time_unix_nano: int
    end_time_unix_nano: int | None
    content: dict[str, Any]

    @property
    def attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = self.content["attributes"]
        return attributes

    def attribute(self, key: str) -> Any:
        """The decoded value of attribute `key`, None when it is missing or not JSON."""
        raw = self.attributes.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw


def read_export_request(body: bytes, content_type: str | None) -> list[ReceivedSpan]:
    """The spans of an export request; bad input is a StoreError naming what to send."""
    media_type = (content_type or "").split(";")[0].strip()
    if media_type not in (PROTOBUF, JSON):
        raise StoreError(f"Invalid Content-Type: {content_type}. Expected: {PROTOBUF} or {JSON}")
    request = ExportTraceServiceRequest()
    try:
        if media_type == JSON:
            Parse(_ids_in_base64(body), request, ignore_unknown_fields=True)
        else:
            request.ParseFromString(body)
    except (DecodeError, JsonFormatError, ValueError, TypeError):
        raise StoreError("Invalid OpenTelemetry format") from None
    if not request.resource_spans:
        raise StoreError("Invalid OpenTelemetry format - no spans found")
    return [
        _received(span)
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def decompressed(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before its Content-Encoding: gzip, or deflate (zlib-wrapped or raw,
    as exporters send both); any other encoding is refused."""
    if not encoding:
        return body
    name = encoding.strip().lower()
    if name not in ("gzip", "deflate"):
        raise StoreError(f"Unsupported Content-Encoding: {encoding}; send gzip, deflate or none.")
    try:
        if name == "gzip":
            return gzip.decompress(body)
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error):
        raise StoreError(f"Failed to decompress {name} payload") from None


def _ids_in_base64(body: bytes) -> bytes:
    """OTLP's JSON writes ids in hex where protobuf's JSON expects base64."""
    document = json.loads(body)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for holder in (span, *(span.get("links") or [])):
                    for name in _HEX_ID_FIELDS:
                        if holder.get(name):
                            holder[name] = base64.b64encode(bytes.fromhex(holder[name])).decode()
    return json.dumps(document).encode()


def _received(span: ProtoSpan) -> ReceivedSpan:
    if not span.trace_id or not span.span_id:
        raise StoreError("Every span needs a trace_id and a span_id; send both.")
    trace_id = TRACE_ID_PREFIX + span.trace_id.hex()
    attributes = {a.key: _encoded_once(decode_any_value(a.value)) for a in span.attributes}
    attributes[REQUEST_ID_ATTRIBUTE] = json.dumps(trace_id)
    status = _STATUS_NAMES.get(span.status.code, "UNSET")
    content = {
        "trace_id": _b64(span.trace_id),
        "span_id": _b64(span.span_id),
        "parent_span_id": _b64(span.parent_span_id) if span.parent_span_id else None,
        "name": span.name,
        "kind": ProtoSpan.SpanKind.Name(span.kind),
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano or None,
        "events": [
            {
                "name": event.name,
                "time_unix_nano": event.time_unix_nano,
                "attributes": {a.key: decode_any_value(a.value) for a in event.attributes},
            }
            for event in span.events
        ],
        "status": {
            "code": Status.StatusCode.Name(span.status.code),
            "message": span.status.message,
        },
        "attributes": attributes,
        "links": [],
    }
    span_type = (
        json.loads(attributes[SPAN_TYPE_ATTRIBUTE]) if SPAN_TYPE_ATTRIBUTE in attributes else None
    )
    return ReceivedSpan(
        trace_id=trace_id,
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() if span.parent_span_id else None,
        name=span.name,
        span_type=span_type if isinstance(span_type, str) else None,
        status=status,
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano or None,
        content=content,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def decode_any_value(value: AnyValue) -> Any:
    """An OTLP AnyValue as plain Python: lists and key-value lists become lists and dicts."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [decode_any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: decode_any_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return _b64(value.bytes_value)
    return getattr(value, kind)


def _encoded_once(value: Any) -> str:
    """`value` as one layer of JSON. MLflow's client sends text that is already JSON (a
    string, object or array encoded once more); that text is kept as it came."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            inner = None
        if isinstance(inner, str | dict | list):
            return value
    return json.dumps(value, ensure_ascii=False)


def any_value(value: Any) -> dict[str, Any]:
    """Plain Python as an OTLP AnyValue in protobuf's JSON (field names as protobuf's)."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, int):
        return {"int_value": value}
    if isinstance(value, float):
        return {"double_value": value}
    if isinstance(value, str):
        return {"string_value": value}
    if isinstance(value, list):
        return {"array_value": {"values": [any_value(item) for item in value]}}
    if isinstance(value, dict):
        return {
            "kvlist_value": {
                "values": [{"key": str(k), "value": any_value(v)} for k, v in value.items()]
            }
        }
    return {"string_value": str(value)}
