"""The size limits MLflow 3.18.0 puts on a GraphQL query before running it.

A query may nest at most 10 levels and select at most 1,000 fields in all; its operations may
have at most MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS top-level fields, and no one selection set
(fragments spread into it counted) more than MLFLOW_SERVER_GRAPHQL_MAX_ALIASES aliases; both
default to 10. A query past a limit is answered with one error and not run.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_DEPTH = 10
MAX_SELECTIONS = 1000
ROOT_FIELDS_VARIABLE = "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS"
ALIASES_VARIABLE = "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES"
DEFAULT_LIMIT = 10


@dataclass
class _Count:
    root_fields: int = 0
    selections: int = 0
    most_aliases: int = 0


def query_problem(document: DocumentNode) -> str | None:
    """MLflow's sentence for the first limit `document` passes, else None."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    count = _Count()
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        problem = _walk(operation.selection_set, 1, fragments, frozenset(), count)
        if problem:
            return problem
    return _over_limit("root fields", count.root_fields, ROOT_FIELDS_VARIABLE) or _over_limit(
        "aliases", count.most_aliases, ALIASES_VARIABLE
    )


def _walk(
    selection_set: SelectionSetNode,
    depth: int,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
    count: _Count,
) -> str | None:
    if depth > MAX_DEPTH:
        return f"Query exceeds maximum depth of {MAX_DEPTH}"
    fields = list(_fields(selection_set, fragments, set(seen)))
    count.most_aliases = max(count.most_aliases, sum(1 for f in fields if f.alias))
    for field in fields:
        count.root_fields += depth == 1
        count.selections += 1
        if count.selections > MAX_SELECTIONS:
            return f"Query exceeds maximum total selections of {MAX_SELECTIONS}"
        if field.selection_set:
            problem = _walk(field.selection_set, depth + 1, fragments, seen, count)
            if problem:
                return problem
    return None


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> Iterator[FieldNode]:
    """The fields of one level, with inline fragments and spread fragments opened (each named
    fragment once, so a cycle ends)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode) and selection.selection_set:
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, seen)


def _over_limit(what: str, found: int, variable: str) -> str | None:
    limit = int(os.environ.get(variable) or DEFAULT_LIMIT)
    if found <= limit:
        return None
    return (
        f"GraphQL queries should have at most {limit} {what}, got {found} {what}. "
        f"To increase the limit, set the {variable} environment variable."
    )
