"""/graphql: the queries MLflow 3.18.0's UI sends (experiment, run with its data, search runs,
sampled metric history, artifact listing, model versions, dataset summaries).

Built on graphql-core, the reference implementation that graphene and strawberry both wrap: the
schema is SDL (store.server.graphql_schema) and each root field calls the REST handler of the
same MLflow message, so validation, limits and errors are the REST API's. Answers are MLflow's
shape, `{"data": ..., "errors": [message, ...] or null}` with status 200; a resolver's refusal
leaves its field null and its sentence in `errors`.
"""

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, cast

import orjson
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    execute,
    parse,
    validate,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from store.artifact_destinations.paths import safe_relative_path
from store.common.errors import StoreError
from store.server import datasets, experiments, registry, runs
from store.server.graphql_limits import query_problem
from store.server.graphql_schema import SDL
from store.server.messages import Message
from store.server.responses import failure_response, json_response
from store.server.routing import Result, check_json_content_type
from store.server.stores import Stores
from store.server.ui_artifacts import listing

Resolver = Callable[..., Any]
_CAMEL = re.compile(r"_([a-z0-9])")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
_SCALAR_DEFAULTS: dict[str, Any] = {
    "String": "",
    "LongString": "0",
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
}
# MLflow's resolver reads the sample size and step range from the URL's query string, which a
# POST to /graphql does not have: every run answers its default sample, whatever the input says.
SAMPLED_PER_RUN = 2500


def routes() -> list[BaseRoute]:
    return [Route("/graphql", graphql_endpoint, methods=["GET", "POST"])]


async def graphql_endpoint(request: Request) -> Response:
    try:
        check_json_content_type(request)
    except StoreError as exc:
        return failure_response(exc)
    try:
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise GraphQLError("Send a JSON object whose 'query' member is the GraphQL query.")
        document = parse(body["query"])
    except (GraphQLError, orjson.JSONDecodeError) as exc:
        return failure_response(StoreError(str(exc)))
    if problem := query_problem(document):
        return json_response({"data": None, "errors": [problem]})
    context = {"request": request, "stores": request.app.state.stores}
    result = await run_in_threadpool(_run, document, body, context)
    return json_response(result)


def _run(document: Any, body: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    errors = validate(schema(), document)
    if errors:
        return {"data": None, "errors": [error.message for error in errors]}
    result = execute(
        schema(),
        document,
        variable_values=body.get("variables"),
        operation_name=body.get("operationName"),
        context_value=context,
        field_resolver=member_or_default,
    )
    if not isinstance(result, ExecutionResult):
        raise TypeError("the GraphQL schema has no asynchronous resolvers")
    messages = [error.message for error in result.errors or []]
    return {"data": result.data, "errors": messages or None}


@cache
def schema() -> GraphQLSchema:
    built = build_schema(SDL)
    long_string = cast(GraphQLScalarType, built.type_map["LongString"])
    long_string.serialize = _decimal_text  # type: ignore[method-assign]
    long_string.parse_value = _whole_number  # type: ignore[method-assign]
    roots = {"Query": QUERY_FIELDS, "Mutation": MUTATION_FIELDS}
    for type_name, fields in roots.items():
        root = built.get_type(type_name)
        for name, resolver in fields.items():
            root.fields[name].resolve = resolver  # type: ignore[union-attr]
    return built


def member_or_default(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """A member of an answer; one the answer leaves out is protobuf's default for its type, as
    MLflow's resolvers read unset fields of its messages: "" and "0" for text and numbers, an
    empty list, an empty message. `apiError` is not a message field, so it stays null."""
    if not isinstance(source, Mapping) or info.field_name == "apiError":
        return None
    if info.field_name not in source:
        return _protobuf_default(info.return_type)
    value = source[info.field_name]
    return value(info, **args) if callable(value) else value


def _protobuf_default(field_type: GraphQLOutputType) -> Any:
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if isinstance(named, GraphQLList):
        return []
    if isinstance(named, GraphQLObjectType):
        return {}
    return _SCALAR_DEFAULTS.get(getattr(named, "name", ""))


def _decimal_text(value: Any) -> str:
    return str(value)


def _whole_number(value: Any) -> int:
    return int(value)


def _stores(info: GraphQLResolveInfo) -> Stores:
    stores: Stores = info.context["stores"]
    return stores


def _message(input: Mapping[str, Any] | None) -> Message:
    """A GraphQL input object as the REST message of the same fields (snake_case names)."""
    return Message({_SNAKE.sub("_", key).lower(): value for key, value in (input or {}).items()})


def camel(value: Any) -> Any:
    """A REST answer with camelCase member names, as the GraphQL types name them."""
    if isinstance(value, dict):
        return {_CAMEL.sub(lambda m: m[1].upper(), k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def _through(handler: Callable[[Stores, Message], Result]) -> Resolver:
    def resolve(root: Any, info: GraphQLResolveInfo, input: Any = None) -> Any:
        return camel(handler(_stores(info), _message(input)) or {})

    return resolve


def _run_extended(stores: Stores, run: dict[str, Any]) -> dict[str, Any]:
    """A run as MLflow's GraphQL extension shows it: NaN metric values as null, and its
    experiment and registered model versions, each looked up only when the query asks."""
    for metric in run.get("data", {}).get("metrics", []):
        if metric.get("value") == "NaN":
            metric["value"] = None
    info = run.get("info", {})

    def experiment(info_: GraphQLResolveInfo) -> Any:
        answer = experiments.get_experiment(
            stores, Message({"experiment_id": info.get("experiment_id")})
        )
        return camel((answer or {}).get("experiment"))

    def model_versions(info_: GraphQLResolveInfo) -> Any:
        asked = Message({"filter": f"run_id='{info.get('run_id')}'"})
        found = registry.search_model_versions(stores, asked) or {}
        return camel(found.get("model_versions", []))

    return {**camel(run), "experiment": experiment, "modelVersions": model_versions}


def get_run(root: Any, info: GraphQLResolveInfo, input: Any = None) -> Any:
    answer = runs.get_run(_stores(info), _message(input)) or {}
    return {"run": _run_extended(_stores(info), answer["run"])}


def search_runs(root: Any, info: GraphQLResolveInfo, input: Any = None) -> Any:
    answer = dict(runs.search_runs(_stores(info), _message(input)) or {})
    found = [_run_extended(_stores(info), run) for run in answer.pop("runs", [])]
    return {**camel(answer), "runs": found}


def sampled_history(root: Any, info: GraphQLResolveInfo, input: Any = None) -> Any:
    """The sampled history; a NaN value fails its field as graphql-core's Float fails it in
    MLflow's answer (MLflow nulls NaN only in a run's metrics)."""
    message = _message(input)
    found = _stores(info).tracking.get_metric_history_bulk_interval(
        message.texts("run_ids"), message.text("metric_key", ""), SAMPLED_PER_RUN
    )
    return {
        "metrics": [
            {
                "key": m.key,
                "value": m.value,
                "timestamp": m.timestamp,
                "step": m.step,
                "runId": run_id,
            }
            for run_id, m in found
        ]
    }


def list_artifacts(root: Any, info: GraphQLResolveInfo, input: Any = None) -> Any:
    """The files directly under `path` in a run's artifacts, their paths from the run's root."""
    message = _message(input)
    run = _stores(info).tracking.get_run(message.run_id())
    folder = safe_relative_path(message.text("path", ""))
    return camel(listing(info.context["request"], run.info.artifact_uri or "", folder))


def echo(root: Any, info: GraphQLResolveInfo, inputString: str | None = None) -> Any:
    return {"output": inputString}


QUERY_FIELDS: dict[str, Resolver] = {
    "mlflowGetExperiment": _through(experiments.get_experiment),
    "mlflowGetMetricHistoryBulkInterval": sampled_history,
    "mlflowGetRun": get_run,
    "mlflowListArtifacts": list_artifacts,
    "mlflowSearchModelVersions": _through(registry.search_model_versions),
    "mlflowSearchRuns": search_runs,
    "test": echo,
}
MUTATION_FIELDS: dict[str, Resolver] = {
    "mlflowSearchDatasets": _through(datasets.search_datasets),
    "mlflowSearchRuns": search_runs,
    "testMutation": echo,
}
