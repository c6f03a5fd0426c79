"""Experiments: create, read, search, rename, delete and restore, and their tags."""

import time
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import INVALID_STATE, StoreError, already_exists, not_found
from store.common.paging import Page, check_max_results, fetch_page, offset_from_token
from store.common.tables import experiment_tags, experiments, runs
from store.models.base import DEFAULT_WORKSPACE
from store.search import parse_filter, parse_order_by_list
from store.search.sql import compare
from store.tracking import validation
from store.tracking.entities import ACTIVE, DELETED, Experiment, Tag, ViewType
from store.tracking.experiment_search import EXPERIMENT_GRAMMAR, experiment_filter, experiment_order
from store.tracking.reading import active_experiment, find_experiment, load_experiments
from store.tracking.uris import append_path, resolve_local

DEFAULT_EXPERIMENT_ID = "0"
SEARCH_MAX_RESULTS_DEFAULT = 1000


def now_ms() -> int:
    return int(time.time() * 1000)


class ExperimentStore(SqlStore):
    artifact_root: str

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Sequence[Tag] = ()
    ) -> str:
        """Create an active experiment and return its id; its artifacts go under the root
        unless `artifact_location` is given."""
        validation.check_experiment_name(name)
        location = resolve_local(artifact_location) if artifact_location else None
        validation.check_artifact_location(location)
        checked_tags = [validation.checked_experiment_tag(tag) for tag in tags]
        created = now_ms()
        try:
            with self.session() as session:
                if session.execute(
                    select(experiments.c.experiment_id).where(
                        compare(experiments.c.name, "=", name, self.dialect)
                    )
                ).first():
                    raise already_exists(f"Experiment(name={name}) already exists.")
                result = session.connection().execute(
                    insert(experiments).values(
                        workspace=DEFAULT_WORKSPACE,
                        name=name,
                        artifact_location=location,
                        lifecycle_stage=ACTIVE,
                        creation_time=created,
                        last_update_time=created,
                    )
                )
                experiment_id = int(cast(Row[Any], result.inserted_primary_key)[0])
                if location is None:
                    location = append_path(self.artifact_root, str(experiment_id))
                    validation.check_artifact_location(location)
                    session.execute(
                        update(experiments)
                        .where(experiments.c.experiment_id == experiment_id)
                        .values(artifact_location=location)
                    )
                _put_tags(session, experiment_id, checked_tags)
        except IntegrityError:
            raise already_exists(f"Experiment(name={name}) already exists.") from None
        return str(experiment_id)

    def get_experiment(self, experiment_id: str | int | None) -> Experiment:
        """The experiment in any stage; a missing id means the Default experiment, "0"."""
        with self.read_session() as session:
            row = find_experiment(
                session, experiment_id or DEFAULT_EXPERIMENT_ID, ViewType.ALL.stages()
            )
            return load_experiments(session, [row])[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.read_session() as session:
            stmt = select(experiments).where(compare(experiments.c.name, "=", name, self.dialect))
            row = session.execute(stmt).first()
            return load_experiments(session, [row])[0] if row is not None else None

    def search_experiments(
        self,
        view_type: ViewType | int | str | None = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        check_max_results(max_results)
        conditions = [
            experiment_filter(comparison, self.dialect)
            for comparison in parse_filter(filter_string, EXPERIMENT_GRAMMAR)
        ]
        ordering = experiment_order(parse_order_by_list(order_by, EXPERIMENT_GRAMMAR))
        offset = offset_from_token(page_token)
        stmt = select(experiments).where(
            experiments.c.lifecycle_stage.in_(ViewType.of(view_type).stages()), *conditions
        )
        with self.read_session() as session:
            page = fetch_page(session, stmt, ordering, offset, max_results, lambda row: row)
            return Page(load_experiments(session, page.items), page.next_page_token)

    def rename_experiment(self, experiment_id: str | int, new_name: str) -> None:
        validation.check_experiment_name(new_name)
        try:
            with self.session() as session:
                row = find_experiment(session, experiment_id, ViewType.ALL.stages())
                if row.lifecycle_stage != ACTIVE:
                    raise StoreError("Cannot rename a non-active experiment.", INVALID_STATE)
                _touch(session, row.experiment_id, name=new_name)
        except IntegrityError:
            raise already_exists(f"Experiment(name={new_name}) already exists.") from None

    def delete_experiment(self, experiment_id: str | int) -> None:
        """Mark the experiment and all its runs deleted (the runs' deleted_time is now)."""
        self._set_experiment_stage(experiment_id, ViewType.ACTIVE_ONLY, DELETED, now_ms())

    def restore_experiment(self, experiment_id: str | int) -> None:
        """Make a deleted experiment and all its runs active again."""
        self._set_experiment_stage(experiment_id, ViewType.DELETED_ONLY, ACTIVE, None)

    def _set_experiment_stage(
        self, experiment_id: str | int, current: ViewType, stage: str, deleted_time: int | None
    ) -> None:
        with self.session() as session:
            row = find_experiment(session, experiment_id, current.stages())
            _touch(session, row.experiment_id, lifecycle_stage=stage)
            session.execute(
                update(runs)
                .where(runs.c.experiment_id == row.experiment_id)
                .values(lifecycle_stage=stage, deleted_time=deleted_time)
            )

    def set_experiment_tag(self, experiment_id: str | int, key: str, value: str | None) -> None:
        tag = validation.checked_experiment_tag(Tag(key, value))
        with self.session() as session:
            row = active_experiment(session, experiment_id)
            _put_tags(session, row.experiment_id, [tag])

    def delete_experiment_tag(self, experiment_id: str | int, key: str) -> None:
        with self.session() as session:
            row = active_experiment(session, experiment_id)
            deleted = session.execute(
                delete(experiment_tags).where(
                    experiment_tags.c.experiment_id == row.experiment_id,
                    compare(experiment_tags.c.key, "=", key, self.dialect),
                )
            )
            if deleted.rowcount == 0:  # type: ignore[attr-defined]
                raise not_found(f"No tag with name: {key} in experiment with id {experiment_id}")


def _touch(session: Session, experiment_id: int, **values: object) -> None:
    session.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(last_update_time=now_ms(), **values)
    )


def _put_tags(session: Session, experiment_id: int, tags: Sequence[Tag]) -> None:
    rows = [{"experiment_id": experiment_id, "key": t.key, "value": t.value} for t in tags]
    upsert(session.connection(), experiment_tags, rows, ["experiment_id", "key"])
