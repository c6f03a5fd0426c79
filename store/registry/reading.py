"""Reading registered models and model versions into entities, a page at a time.

A page costs one query per kind of child row (tags, aliases, latest versions) over the page's
names, never one query per model. What each entity carries follows MLflow 3.1.4: versions
inside a registered model and versions from a search carry no aliases; a single version read
by name and number (or alias) does.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.common.errors import not_found
from store.common.lookups import pairs_by_owner
from store.common.tables import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from store.models.base import DEFAULT_WORKSPACE
from store.registry.entities import STAGE_DELETED_INTERNAL, ModelVersion, RegisteredModel
from store.tracking.reading import chunks


def in_workspace(*tables: Table) -> list[ColumnElement[bool]]:
    """The served workspace's rows of `tables`. Without multi-workspace mode every registry row
    is in 'default', and MLflow still says so in each query: the registry's keys and indexes
    start with the workspace, so only then can a lookup by name use them."""
    return [table.c.workspace == DEFAULT_WORKSPACE for table in tables]


def find_registered_model(session: Session, name: str) -> Row[Any]:
    """The registered_models row called `name`, or RESOURCE_DOES_NOT_EXIST."""
    stmt = select(registered_models).where(
        *in_workspace(registered_models), registered_models.c.name == name
    )
    row = session.execute(stmt).first()
    if row is None:
        raise not_found(f"Registered Model with name={name} not found")
    return row


def find_model_version(session: Session, name: str, version: int) -> Row[Any]:
    """The live model_versions row (name, version), or RESOURCE_DOES_NOT_EXIST."""
    stmt = select(model_versions).where(
        *in_workspace(model_versions),
        model_versions.c.name == name,
        model_versions.c.version == version,
        model_versions.c.current_stage != STAGE_DELETED_INTERNAL,
    )
    row = session.execute(stmt).first()
    if row is None:
        raise not_found(f"Model Version (name={name}, version={version}) not found")
    return row


def load_registered_models(
    session: Session, rows: Sequence[Row[Any]], *, stages_by_name: bool = False
) -> list[RegisteredModel]:
    """Entities for registered_models rows, with tags, aliases and latest version per stage
    (stages in the order of their first version, or by name with `stages_by_name`)."""
    names = [row.name for row in rows]
    tags = pairs_by_owner(
        session,
        registered_model_tags,
        "name",
        "key",
        "value",
        names,
        in_workspace(registered_model_tags),
    )
    aliases = _aliases(session, names)
    latest = _latest_versions(session, names, stages_by_name)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description,
            latest_versions=latest[row.name],
            tags=tags[row.name],
            aliases=aliases[row.name],
        )
        for row in rows
    ]


def load_model_versions(
    session: Session, rows: Sequence[Row[Any]], *, with_aliases: bool = False
) -> list[ModelVersion]:
    """Entities for model_versions rows with their tags (and aliases when asked)."""
    names = sorted({row.name for row in rows})
    tags: defaultdict[tuple[str, int], dict[str, str | None]] = defaultdict(dict)
    for chunk in chunks(names):
        stmt = select(model_version_tags).where(
            *in_workspace(model_version_tags), model_version_tags.c.name.in_(chunk)
        )
        for tag in session.execute(stmt):
            tags[(tag.name, tag.version)][tag.key] = tag.value
    aliases: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
    if with_aliases:
        for name, pairs in _aliases(session, names).items():
            for alias, version in sorted(pairs.items()):
                aliases[(name, version)].append(alias)
    return [
        model_version(row, tags[(row.name, row.version)], aliases[(row.name, row.version)])
        for row in rows
    ]


def model_version(
    row: Row[Any], tags: dict[str, str | None], aliases: list[str] | None = None
) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        description=row.description,
        user_id=row.user_id,
        current_stage=row.current_stage,
        source=row.source,
        run_id=row.run_id,
        run_link=row.run_link,
        status=row.status,
        status_message=row.status_message,
        tags=tags,
        aliases=aliases or [],
    )


def latest_version_rows(
    session: Session, names: Sequence[str], stages_by_name: bool = False
) -> dict[str, list[Row[Any]]]:
    """For each name, its highest live version in each stage.

    Stages come in the order their lowest version has, which is the order MLflow lists them
    in when it walks a model's versions from the first; MLflow 3.18's searches instead list
    them as its window over (name, stage) yields them, by stage name (`stages_by_name`).
    """
    found: defaultdict[str, list[Row[Any]]] = defaultdict(list)
    for chunk in chunks(list(names)):
        per_stage = (
            select(
                model_versions.c.name,
                func.max(model_versions.c.version).label("latest"),
                func.min(model_versions.c.version).label("first"),
            )
            .where(
                *in_workspace(model_versions),
                model_versions.c.name.in_(chunk),
                model_versions.c.current_stage != STAGE_DELETED_INTERNAL,
            )
            .group_by(model_versions.c.name, model_versions.c.current_stage)
            .subquery()
        )
        stmt = (
            select(model_versions)
            .join(
                per_stage,
                (model_versions.c.name == per_stage.c.name)
                & (model_versions.c.version == per_stage.c.latest),
            )
            .where(*in_workspace(model_versions))
            .order_by(
                model_versions.c.name,
                model_versions.c.current_stage if stages_by_name else per_stage.c.first,
            )
        )
        for row in session.execute(stmt):
            found[row.name].append(row)
    return found


def _aliases(session: Session, names: Sequence[str]) -> defaultdict[str, dict[str, int]]:
    return pairs_by_owner(
        session,
        registered_model_aliases,
        "name",
        "alias",
        "version",
        names,
        in_workspace(registered_model_aliases),
    )


def _latest_versions(
    session: Session, names: Sequence[str], stages_by_name: bool
) -> defaultdict[str, list[ModelVersion]]:
    found = latest_version_rows(session, names, stages_by_name)
    rows = [row for group in found.values() for row in group]
    latest: defaultdict[str, list[ModelVersion]] = defaultdict(list)
    for version in load_model_versions(session, rows):
        latest[version.name].append(version)
    return latest
