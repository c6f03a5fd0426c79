"""Registered models: create, read, rename, describe, delete, search, tags and aliases."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import StoreError, already_exists
from store.common.lookups import load_page
from store.common.paging import Page, offset_from_token
from store.common.tables import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from store.models.base import DEFAULT_WORKSPACE
from store.registry import reading, validation
from store.registry.entities import ALL_STAGES, ModelVersion, RegisteredModel
from store.registry.reading import in_workspace
from store.registry.search import (
    IS_PROMPT_TAG,
    REGISTERED_MODEL_GRAMMAR,
    registered_model_conditions,
    registered_model_order,
)
from store.search import parse_filter, parse_order_by_list
from store.tracking.entities import Tag
from store.tracking.experiments import now_ms

SEARCH_MAX_RESULTS_DEFAULT = 100
SEARCH_MAX_RESULTS_THRESHOLD = 1000


class RegisteredModelStore(SqlStore):
    def create_registered_model(
        self, name: str, tags: Sequence[Tag] = (), description: str | None = None
    ) -> RegisteredModel:
        """Create a model with no versions; a name already taken is RESOURCE_ALREADY_EXISTS."""
        validation.check_model_name(name)
        for tag in tags:
            validation.check_registered_model_tag(tag.key, tag.value)
        created = now_ms()
        try:
            with self.session() as session:
                session.execute(
                    insert(registered_models).values(
                        workspace=DEFAULT_WORKSPACE,
                        name=name,
                        creation_time=created,
                        last_updated_time=created,
                        description=description,
                    )
                )
                _put_tags(session.connection(), name, tags)
                return reading.load_registered_models(
                    session, [reading.find_registered_model(session, name)]
                )[0]
        except IntegrityError:
            raise self._name_taken(name, tags) from None

    def get_registered_model(self, name: str) -> RegisteredModel:
        validation.check_model_name(name)
        with self.read_session() as session:
            row = reading.find_registered_model(session, name)
            return reading.load_registered_models(session, [row])[0]

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        validation.check_model_name(name)
        with self.session() as session:
            reading.find_registered_model(session, name)
            session.execute(
                update(registered_models)
                .where(*in_workspace(registered_models), registered_models.c.name == name)
                .values(description=description, last_updated_time=now_ms())
            )
            row = reading.find_registered_model(session, name)
            return reading.load_registered_models(session, [row])[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow (ON UPDATE CASCADE)."""
        validation.check_model_name(new_name, "new_name")
        validation.check_model_name(name)
        updated = now_ms()
        try:
            with self.session() as session:
                reading.find_registered_model(session, name)
                session.execute(
                    update(registered_models)
                    .where(*in_workspace(registered_models), registered_models.c.name == name)
                    .values(name=new_name, last_updated_time=updated)
                )
                session.execute(
                    update(model_versions)
                    .where(*in_workspace(model_versions), model_versions.c.name == new_name)
                    .values(last_updated_time=updated)
                )
                row = reading.find_registered_model(session, new_name)
                return reading.load_registered_models(session, [row])[0]
        except IntegrityError:
            raise already_exists(f"Registered Model (name={new_name}) already exists.") from None

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        validation.check_model_name(name)
        with self.session() as session:
            reading.find_registered_model(session, name)
            for table in (
                model_version_tags,
                model_versions,
                registered_model_tags,
                registered_model_aliases,
                registered_models,
            ):
                session.execute(delete(table).where(*in_workspace(table), table.c.name == name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        """Models matching `filter_string` (name and tags), ordered, a page at a time."""
        validation.check_page_size(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        comparisons = parse_filter(filter_string, REGISTERED_MODEL_GRAMMAR)
        order = registered_model_order(parse_order_by_list(order_by, REGISTERED_MODEL_GRAMMAR))
        offset = offset_from_token(page_token)
        stmt = select(registered_models).where(
            *in_workspace(registered_models),
            *registered_model_conditions(comparisons, self.dialect),
        )
        with self.read_session() as session:
            return load_page(session, stmt, order, offset, max_results, _load_found)

    def set_registered_model_tag(self, name: str, tag: Tag) -> None:
        validation.check_model_name(name)
        validation.check_registered_model_tag(tag.key, tag.value)
        with self.session() as session:
            reading.find_registered_model(session, name)
            _put_tags(session.connection(), name, [tag])

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag; a key the model does not have is no error."""
        validation.check_model_name(name)
        validation.check_tag_key(key)
        with self.session() as session:
            reading.find_registered_model(session, name)
            session.execute(
                delete(registered_model_tags).where(
                    *in_workspace(registered_model_tags),
                    registered_model_tags.c.name == name,
                    registered_model_tags.c.key == key,
                )
            )

    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point `alias` at a live version, moving it if it pointed elsewhere."""
        validation.check_model_name(name)
        validation.check_alias(alias)
        number = validation.checked_version(version)
        with self.session() as session:
            reading.find_model_version(session, name, number)
            upsert(
                session.connection(),
                registered_model_aliases,
                [{"workspace": DEFAULT_WORKSPACE, "name": name, "alias": alias, "version": number}],
                ("workspace", "name", "alias"),
            )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; an alias the model does not have is no error."""
        validation.check_model_name(name)
        validation.check_alias(alias)
        with self.session() as session:
            reading.find_registered_model(session, name)
            session.execute(
                delete(registered_model_aliases).where(
                    *in_workspace(registered_model_aliases),
                    registered_model_aliases.c.name == name,
                    registered_model_aliases.c.alias == alias,
                )
            )

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest live version in each of `stages` (all stages when none are given)."""
        validation.check_model_name(name)
        wanted = {validation.canonical_stage(stage) for stage in stages or ALL_STAGES}
        with self.read_session() as session:
            reading.find_registered_model(session, name)
            rows = reading.latest_version_rows(session, [name]).get(name, [])
            chosen = [row for row in rows if row.current_stage in wanted]
            return reading.load_model_versions(session, chosen, with_aliases=True)

    def _name_taken(self, name: str, tags: Sequence[Tag]) -> StoreError:
        """The RESOURCE_ALREADY_EXISTS error for `name`, worded for models and prompts."""
        try:
            existing = self.get_registered_model(name)
        except StoreError:
            return already_exists(f"Registered Model (name={name}) already exists.")
        old = "Prompt" if IS_PROMPT_TAG in existing.tags else "Registered Model"
        new = "Prompt" if any(tag.key == IS_PROMPT_TAG for tag in tags) else "Registered Model"
        if old != new:
            return already_exists(
                f"Tried to create a {new.lower()} with name {name!r}, but the name is already "
                f"taken by a {old.lower()}; a model and a prompt cannot have the same name."
            )
        return already_exists(f"{new} (name={name}) already exists.")


def _load_found(session: Session, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
    """Models a search found, their latest versions listed as MLflow 3.18's search lists them."""
    return reading.load_registered_models(session, rows, stages_by_name=True)


def _put_tags(connection: Connection, name: str, tags: Sequence[Tag]) -> None:
    """Insert or overwrite tags of model `name`; of repeated keys the last one wins."""
    rows = [
        {"workspace": DEFAULT_WORKSPACE, "name": name, "key": tag.key, "value": tag.value}
        for tag in tags
    ]
    upsert(connection, registered_model_tags, rows, ("workspace", "name", "key"))
