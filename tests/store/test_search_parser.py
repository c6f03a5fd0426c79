"""The search grammar: filters and order_by clauses parsed into ASTs, or refused clearly."""

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, StoreError
from store.search import Comparison, OrderBy, parse_filter, parse_order_by, parse_order_by_list
from store.traces.search import TRACE_V3_GRAMMAR
from store.tracking.experiment_search import EXPERIMENT_GRAMMAR
from store.tracking.run_search import RUN_GRAMMAR


def parsed(text: str) -> list[tuple[str, str, str, object]]:
    return [(c.entity, c.key, c.comparator, c.value) for c in parse_filter(text, RUN_GRAMMAR)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.acc = 1", ("metric", "acc", "=", 1)),
        ("metrics.acc != 1.5", ("metric", "acc", "!=", 1.5)),
        ("metric.acc < -2", ("metric", "acc", "<", -2)),
        ("metrics.acc <= 1e3", ("metric", "acc", "<=", 1000.0)),
        ("metrics.acc > .5", ("metric", "acc", ">", 0.5)),
        ("metrics.acc >= 0", ("metric", "acc", ">=", 0)),
        ("params.lr = '0.1'", ("parameter", "lr", "=", "0.1")),
        ("param.lr LIKE '0.%'", ("parameter", "lr", "LIKE", "0.%")),
        ("parameters.lr ilike '%A%'", ("parameter", "lr", "ILIKE", "%A%")),
        ('tags.team = "core"', ("tag", "team", "=", "core")),
        ("tag.`mlflow.runName` != 'x'", ("tag", "mlflow.runName", "!=", "x")),
        ("tags.\"a b\" = 'c'", ("tag", "a b", "=", "c")),
        ("attributes.status = 'RUNNING'", ("attribute", "status", "=", "RUNNING")),
        ("run.user_id = 'me'", ("attribute", "user_id", "=", "me")),
        ("attr.artifact_uri LIKE 's3://%'", ("attribute", "artifact_uri", "LIKE", "s3://%")),
        ("run_id IN ('a1', 'b2')", ("attribute", "run_id", "IN", ("a1", "b2"))),
        ("run_id not in ('a1',)", ("attribute", "run_id", "NOT IN", ("a1",))),
        ("created > 5", ("attribute", "start_time", ">", 5)),
        ("`Run name` = 'x'", ("attribute", "run_name", "=", "x")),
        ("attributes.end_time <= 10", ("attribute", "end_time", "<=", 10)),
        ("datasets.name IN ('a', \"b\")", ("dataset", "name", "IN", ("a", "b"))),
        ("dataset.digest = 'd'", ("dataset", "digest", "=", "d")),
        ("datasets.context LIKE 'tr%'", ("dataset", "context", "LIKE", "tr%")),
        ("metrics.a.b.c = 1", ("metric", "a.b.c", "=", 1)),
        ("params.x = 'it''s'", ("parameter", "x", "=", "it''s")),
    ],
)
def test_each_valid_comparison_parses(text: str, expected: tuple[str, str, str, object]) -> None:
    assert parsed(text) == [expected]


def test_comparisons_are_anded_case_insensitively() -> None:
    assert parsed("metrics.a>1 and params.b='x' AND tags.c LIKE 'y%'") == [
        ("metric", "a", ">", 1),
        ("parameter", "b", "=", "x"),
        ("tag", "c", "LIKE", "y%"),
    ]


@pytest.mark.parametrize("text", [None, "", "   "])
def test_empty_filter_has_no_conditions(text: str | None) -> None:
    assert parse_filter(text, RUN_GRAMMAR) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("metrics.acc > 0.5 OR params.x = 'y'", "expected AND"),
        ("(metrics.a > 1)", "expected a name"),
        ("metrics.acc >", "expected a value"),
        ("metrics.acc 5", "expected a comparator"),
        ("params.a == 'x'", "expected a comparator"),
        ("params.a <> 'x'", "expected a comparator"),
        ("params.a = abc", "quote string values"),
        ("params.x = 'unterminated", "cannot read it"),
        ("params.a-b = 'x'", "cannot read it"),
        ("foo.x = 1", "unknown entity 'foo'"),
        ("bogus = 'x'", "unknown attribute 'bogus'"),
        ("metrics.acc > '0.5'", "expected a number"),
        ("params.lr = 0.1", "expected a quoted string"),
        ("start_time = 'x'", "expected a number"),
        ("metrics.a LIKE 1", "Invalid comparator 'LIKE'"),
        ("params.a > 'x'", "Invalid comparator '>'"),
        ("status IN ('a')", "Invalid comparator 'IN'"),
        ("run_id = ('a')", "need a parenthesised list"),
        ("run_id IN 'a'", "need a parenthesised list"),
        ("run_id IN ()", "non-empty list"),
        ("run_id IN (1)", "non-empty list"),
        ("datasets.source = 'x'", "unknown dataset 'source'"),
        ("metrics. = 1", "names no key"),
        ("metrics.a = 1 AND", "expected a name"),
        ("metrics.a > 1e999", "must fit a 64-bit integer or a double"),
        ("start_time > 9223372036854775808", "must fit a 64-bit integer or a double"),
    ],
)
def test_malformed_filters_are_invalid_parameter_values(text: str, says: str) -> None:
    with pytest.raises(StoreError, match=says.replace("(", r"\(")) as raised:
        parse_filter(text, RUN_GRAMMAR)
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_experiment_grammar_knows_only_its_attributes_and_tags() -> None:
    assert parse_filter("name LIKE 'a%' and tags.k = 'v'", EXPERIMENT_GRAMMAR) == [
        Comparison("attribute", "name", "LIKE", "a%"),
        Comparison("tag", "k", "=", "v"),
    ]
    with pytest.raises(StoreError, match="unknown entity 'metrics'"):
        parse_filter("metrics.a > 1", EXPERIMENT_GRAMMAR)
    with pytest.raises(StoreError, match="not searchable"):
        parse_filter("experiment_id = 1", EXPERIMENT_GRAMMAR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.acc", OrderBy("metric", "acc", True)),
        ("metrics.`a b` DESC", OrderBy("metric", "a b", False)),
        ('params."x y" asc', OrderBy("parameter", "x y", True)),
        ("tags.team desc", OrderBy("tag", "team", False)),
        ("created", OrderBy("attribute", "start_time", True)),
        ("attributes.run_name DESC", OrderBy("attribute", "run_name", False)),
    ],
)
def test_order_by_clauses_parse(text: str, expected: OrderBy) -> None:
    assert parse_order_by(text, RUN_GRAMMAR) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "expected the name"),
        ("metrics.a up", "expected ASC or DESC"),
        ("metrics.a DESC x", "expected nothing after"),
        ("datasets.name", "cannot order by"),
        ("bogus", "unknown attribute"),
    ],
)
def test_malformed_order_by_is_refused(text: str, says: str) -> None:
    with pytest.raises(StoreError, match=says):
        parse_order_by(text, RUN_GRAMMAR)


def test_order_by_naming_a_column_twice_is_refused() -> None:
    with pytest.raises(StoreError, match="more than once"):
        parse_order_by_list(["metrics.a", "metrics.a DESC"], RUN_GRAMMAR)


def test_experiments_order_by_id_but_not_by_tag() -> None:
    assert parse_order_by("experiment_id DESC", EXPERIMENT_GRAMMAR) == OrderBy(
        "attribute", "experiment_id", False
    )
    with pytest.raises(StoreError, match="cannot order by"):
        parse_order_by("tags.k", EXPERIMENT_GRAMMAR)


def trace_parsed(text: str) -> list[Comparison]:
    return parse_filter(text, TRACE_V3_GRAMMAR)


def test_is_null_and_is_not_null_take_no_value() -> None:
    assert trace_parsed("tags.team IS NULL and metadata.s is not null") == [
        Comparison("tag", "team", "IS NULL", None),
        Comparison("request_metadata", "s", "IS NOT NULL", None),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tags.team IS 'x'", "expected NULL after IS"),
        ("tags.team IS NOT", "expected NULL after IS"),
        ("trace.status IS NULL", "Invalid comparator 'IS NULL'"),
        ("tags.team IS NULL AND", "expected a name"),
    ],
)
def test_malformed_nullness_is_refused(text: str, says: str) -> None:
    with pytest.raises(StoreError, match=says):
        trace_parsed(text)


def test_a_key_family_takes_any_member_unquoted() -> None:
    assert trace_parsed("span.attributes.`mlflow.spanType` = 'LLM'") == [
        Comparison("span", "attributes.mlflow.spanType", "=", "LLM")
    ]
    with pytest.raises(StoreError, match=r"names no key after 'attributes\.'"):
        trace_parsed("span.attributes. = 'x'")


def test_ordering_an_assessment_takes_a_number_and_equality_a_string() -> None:
    assert trace_parsed("feedback.score > 0.5 AND feedback.score = '1'") == [
        Comparison("feedback", "score", ">", 0.5),
        Comparison("feedback", "score", "=", "1"),
    ]
    with pytest.raises(StoreError, match="expected a number"):
        trace_parsed("feedback.score > '0.5'")
    with pytest.raises(StoreError, match="expected a quoted string"):
        trace_parsed("feedback.score = 1")
