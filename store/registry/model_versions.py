"""Model versions: create, read, describe, move between stages, delete, search, tags, aliases.

A deleted version keeps its row (stage Deleted_Internal, its details redacted) so its number is
never handed out again, as in MLflow 3.1.4.
"""

import json
import urllib.parse
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import StoreError
from store.common.json_text import listed_in_tag
from store.common.lookups import load_page
from store.common.paging import Page, offset_from_token
from store.common.tables import (
    logged_model_tags,
    logged_models,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_models,
)
from store.logged_models.store import find_logged_model, put_model_pairs
from store.models.base import DEFAULT_WORKSPACE
from store.registry import reading, validation
from store.registry.entities import (
    ACTIVE_STAGES,
    STAGE_ARCHIVED,
    STAGE_DELETED_INTERNAL,
    STAGE_NONE,
    STATUS_READY,
    ModelVersion,
)
from store.registry.reading import in_workspace
from store.registry.search import (
    MODEL_VERSION_GRAMMAR,
    model_version_conditions,
    model_version_order,
)
from store.search import parse_filter, parse_order_by_list
from store.tracking.entities import DELETED, Tag
from store.tracking.experiments import now_ms

SEARCH_MAX_RESULTS_DEFAULT = 10_000
SEARCH_MAX_RESULTS_THRESHOLD = 200_000
CREATE_ATTEMPTS = 3
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
REDACTED = {
    "source": "REDACTED-SOURCE-PATH",
    "run_id": "REDACTED-RUN-ID",
    "run_link": "REDACTED-RUN-LINK",
    "description": None,
    "user_id": None,
    "status_message": None,
}


class ModelVersionStore(SqlStore):
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[Tag] = (),
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Register the next version of model `name` (one more than any version it ever had).

        A `models:/` source is resolved to the artifact location it stands for. Two writers
        racing for one number are settled by the primary key: the loser tries again. The
        version of logged model `model_id` is listed in that model's mlflow.modelVersions tag,
        in the same transaction, so a version never exists without its listing, and records
        the model's source run when no run is given.
        """
        validation.check_model_name(name)
        for tag in tags:
            validation.check_model_version_tag(tag.key, tag.value)
        attempts_left = CREATE_ATTEMPTS
        while True:
            try:
                with self.session() as session:
                    location, source_run = _resolve_source(session, source, run_id)
                    if not source_run and model_id is not None:
                        # As MLflow 3.18: a version of a logged model comes from its run.
                        source_run = find_logged_model(session, model_id).source_run_id
                    values = {
                        "source": source,
                        "storage_location": location,
                        "run_id": source_run,
                        "run_link": run_link,
                        "description": description,
                    }
                    version = self._insert_version(session, name, values, tags)
                    if model_id is not None:
                        _list_on_logged_model(session, model_id, name, version.version)
                    return version
            except IntegrityError:
                attempts_left -= 1
                if not attempts_left:
                    raise StoreError(
                        f"Model Version creation error (name={name}): giving up after "
                        f"{CREATE_ATTEMPTS} attempts; try again."
                    ) from None

    def _insert_version(
        self, session: Session, name: str, values: dict[str, Any], tags: Sequence[Tag]
    ) -> ModelVersion:
        created = now_ms()
        # Updating the model first locks its row, so concurrent creators take turns.
        _touch_model(session, name, created)
        name = reading.find_registered_model(session, name).name
        highest = session.execute(
            select(func.max(model_versions.c.version)).where(
                *in_workspace(model_versions), model_versions.c.name == name
            )
        ).scalar()
        version = (highest or 0) + 1
        session.execute(
            insert(model_versions).values(
                workspace=DEFAULT_WORKSPACE,
                name=name,
                version=version,
                creation_time=created,
                last_updated_time=created,
                current_stage=STAGE_NONE,
                status=STATUS_READY,
                **values,
            )
        )
        _put_tags(session, name, version, tags)
        return self._read(session, name, version)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        validation.check_model_name(name)
        with self.read_session() as session:
            return self._read(session, name, validation.checked_version(version))

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        number = validation.checked_version(version)
        validation.check_model_name(name)
        with self.session() as session:
            row = reading.find_model_version(session, name, number)
            _update_version(session, row, description=description, last_updated_time=now_ms())
            return self._read(session, name, number)

    def transition_model_version_stage(
        self, name: str, version: int | str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to `stage`; optionally archive the others in that stage."""
        target = validation.canonical_stage(stage)
        if archive_existing_versions and target not in ACTIVE_STAGES:
            raise StoreError(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage; valid stages are {', '.join(ACTIVE_STAGES)}."
            )
        validation.check_model_name(name)
        number = validation.checked_version(version)
        updated = now_ms()
        with self.session() as session:
            row = reading.find_model_version(session, name, number)
            if archive_existing_versions:
                session.execute(
                    update(model_versions)
                    .where(
                        *in_workspace(model_versions),
                        model_versions.c.name == row.name,
                        model_versions.c.version != number,
                        model_versions.c.current_stage == target,
                    )
                    .values(current_stage=STAGE_ARCHIVED, last_updated_time=updated)
                )
            _update_version(session, row, current_stage=target, last_updated_time=updated)
            _touch_model(session, row.name, updated)
            return self._read(session, name, number)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Mark a version deleted, redact its details and drop the aliases pointing at it."""
        validation.check_model_name(name)
        number = validation.checked_version(version)
        updated = now_ms()
        with self.session() as session:
            row = reading.find_model_version(session, name, number)
            session.execute(
                delete(registered_model_aliases).where(
                    *in_workspace(registered_model_aliases),
                    registered_model_aliases.c.name == row.name,
                    registered_model_aliases.c.version == number,
                )
            )
            _update_version(
                session,
                row,
                current_stage=STAGE_DELETED_INTERNAL,
                last_updated_time=updated,
                **REDACTED,
            )
            _touch_model(session, row.name, updated)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are: its storage location, else its source."""
        validation.check_model_name(name)
        with self.read_session() as session:
            row = reading.find_model_version(session, name, validation.checked_version(version))
            return str(row.storage_location or row.source)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        validation.check_model_name(name)
        validation.check_alias(alias)
        with self.read_session() as session:
            stmt = select(registered_model_aliases).where(
                *in_workspace(registered_model_aliases),
                registered_model_aliases.c.name == name,
                registered_model_aliases.c.alias == alias,
            )
            found = session.execute(stmt).first()
            if found is None:
                raise StoreError(f"Registered model alias {alias} not found.")
            return self._read(session, found.name, found.version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        """Live versions matching `filter_string`, ordered, a page at a time."""
        validation.check_page_size(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        comparisons = parse_filter(filter_string, MODEL_VERSION_GRAMMAR)
        order = model_version_order(parse_order_by_list(order_by, MODEL_VERSION_GRAMMAR))
        offset = offset_from_token(page_token)
        stmt = select(model_versions).where(
            *in_workspace(model_versions),
            model_versions.c.current_stage != STAGE_DELETED_INTERNAL,
            *model_version_conditions(comparisons, self.dialect),
        )
        with self.read_session() as session:
            return load_page(session, stmt, order, offset, max_results, reading.load_model_versions)

    def set_model_version_tag(self, name: str, version: int | str, tag: Tag) -> None:
        validation.check_model_name(name)
        number = validation.checked_version(version)
        validation.check_model_version_tag(tag.key, tag.value)
        with self.session() as session:
            row = reading.find_model_version(session, name, number)
            _put_tags(session, row.name, number, [tag])

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag; a key the version does not have is no error."""
        validation.check_model_name(name)
        number = validation.checked_version(version)
        validation.check_tag_key(key)
        with self.session() as session:
            row = reading.find_model_version(session, name, number)
            session.execute(
                delete(model_version_tags).where(
                    *in_workspace(model_version_tags),
                    model_version_tags.c.name == row.name,
                    model_version_tags.c.version == number,
                    model_version_tags.c.key == key,
                )
            )

    def _read(self, session: Session, name: str, version: int) -> ModelVersion:
        row = reading.find_model_version(session, name, version)
        return reading.load_model_versions(session, [row], with_aliases=True)[0]


def _resolve_source(session: Session, source: str, run_id: str | None) -> tuple[str, str | None]:
    """The storage location a version's `source` stands for, and the run id to record.

    `models:/<model id>` is a logged model (its artifact location and source run);
    `models:/<name>/<version>` is another version's download location.
    """
    if urllib.parse.urlparse(source).scheme != "models":
        return source, run_id
    parts = source.split(":", 1)[1].lstrip("/").split("/")
    if len(parts) == 1 and parts[0] and "@" not in parts[0]:
        model = session.execute(
            select(logged_models).where(
                logged_models.c.model_id == parts[0], logged_models.c.lifecycle_stage != DELETED
            )
        ).first()
        if model is not None:
            return model.artifact_location, run_id or model.source_run_id
    elif len(parts) == 2 and parts[1].isdigit():
        row = session.execute(
            select(model_versions).where(
                *in_workspace(model_versions),
                model_versions.c.name == parts[0],
                model_versions.c.version == int(parts[1]),
                model_versions.c.current_stage != STAGE_DELETED_INTERNAL,
            )
        ).first()
        if row is not None:
            return row.storage_location or row.source, run_id
    raise StoreError(
        f"Unable to fetch model from model URI source artifact location '{source}': give "
        "models:/<logged model id>, models:/<name>/<version> of an existing one, or a path."
    )


def _list_on_logged_model(session: Session, model_id: str, name: str, version: int) -> None:
    """Add {name, version} to the live logged model's mlflow.modelVersions tag (a JSON list,
    as MLflow 3.1.4 writes it), unless the list already holds it."""
    model = find_logged_model(session, model_id)
    current = session.execute(
        select(logged_model_tags.c.tag_value).where(
            logged_model_tags.c.model_id == model_id,
            logged_model_tags.c.tag_key == MODEL_VERSIONS_TAG,
        )
    ).scalar()
    listed = listed_in_tag(
        current, f"{MODEL_VERSIONS_TAG} tag of logged model {model_id}", "registering the model"
    )
    entry = {"name": name, "version": version}
    if entry not in listed:
        listed.append(entry)
    put_model_pairs(
        session, logged_model_tags, model, [Tag(MODEL_VERSIONS_TAG, json.dumps(listed))]
    )


def _put_tags(session: Session, name: str, version: int, tags: Sequence[Tag]) -> None:
    owner = {"workspace": DEFAULT_WORKSPACE, "name": name, "version": version}
    rows = [{**owner, "key": t.key, "value": t.value} for t in tags]
    upsert(session.connection(), model_version_tags, rows, ("workspace", "name", "version", "key"))


def _update_version(session: Session, row: Row[Any], **values: Any) -> None:
    session.execute(
        update(model_versions)
        .where(
            *in_workspace(model_versions),
            model_versions.c.name == row.name,
            model_versions.c.version == row.version,
        )
        .values(**values)
    )


def _touch_model(session: Session, name: str, updated: int) -> None:
    session.execute(
        update(registered_models)
        .where(*in_workspace(registered_models), registered_models.c.name == name)
        .values(last_updated_time=updated)
    )
