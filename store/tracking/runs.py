"""Runs: create, read, update, delete and restore, and their tags one at a time."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from compat.upsert import upsert
from store.common.base import SqlStore
from store.common.errors import StoreError, not_found
from store.common.tables import runs, tags
from store.search.sql import compare
from store.tracking import validation
from store.tracking.entities import (
    ACTIVE,
    DELETED,
    RUN_STATUSES,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    Tag,
)
from store.tracking.experiments import now_ms
from store.tracking.names import random_run_name
from store.tracking.reading import (
    active_experiment,
    active_run_experiment,
    find_run,
    load_run,
    run_info,
)
from store.tracking.run_search import RUN_NAME_TAG
from store.tracking.uris import append_path

USER_TAG = "mlflow.user"
ARTIFACTS_FOLDER = "artifacts"


class RunStore(SqlStore):
    def create_run(
        self,
        experiment_id: str | int,
        user_id: str | None = None,
        start_time: int | None = None,
        tags: Sequence[Tag] = (),
        run_name: str | None = None,
    ) -> Run:
        """Start a RUNNING run in an active experiment.

        The run name is `run_name`, else the mlflow.runName tag, else a generated one, and the
        tag is set to match. Without `user_id`, the mlflow.user tag (or "unknown") is used.
        """
        checked = [validation.checked_tag(tag, f"tags[{i}]") for i, tag in enumerate(tags)]
        by_key = {tag.key: tag.value for tag in checked}
        name_tag = by_key.get(RUN_NAME_TAG)
        if run_name and name_tag and run_name != name_tag:
            raise StoreError(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{name_tag}')."
            )
        name = run_name or name_tag or random_run_name()
        validation.check_run_name(name)
        if not name_tag:
            checked.append(Tag(RUN_NAME_TAG, name))
        if user_id is None:
            user_id = by_key.get(USER_TAG) or "unknown"
        validation.check_length(user_id, validation.MAX_USER_ID_LENGTH, "user_id")
        run_id = uuid.uuid4().hex
        with self.session() as session:
            experiment = active_experiment(session, experiment_id)
            values = {
                "run_uuid": run_id,
                "name": name,
                "source_type": "UNKNOWN",
                "source_name": "",
                "entry_point_name": "",
                "user_id": user_id,
                "status": "RUNNING",
                "start_time": now_ms() if start_time is None else int(start_time),
                "end_time": None,
                "deleted_time": None,
                "source_version": "",
                "lifecycle_stage": ACTIVE,
                "artifact_uri": append_path(
                    experiment.artifact_location or "", run_id, ARTIFACTS_FOLDER
                ),
                "experiment_id": experiment.experiment_id,
            }
            session.execute(insert(runs).values(values))
            put_tags(session, run_id, checked)
        data = RunData(tags=sorted({t.key: t for t in checked}.values(), key=lambda t: t.key))
        return Run(run_info(values), data, RunInputs())

    def get_run(self, run_id: str) -> Run:
        with self.read_session() as session:
            return load_run(session, run_id)

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change an active run's status, end time and name; None leaves a field as it is."""
        if run_status is not None and run_status not in RUN_STATUSES:
            raise StoreError(
                f"Invalid run status {run_status!r}: use one of {', '.join(RUN_STATUSES)}."
            )
        validation.check_run_name(run_name)
        with self.session() as session:
            active_run_experiment(session, run_id)
            values: dict[str, Any] = {}
            if run_status is not None:
                values["status"] = run_status
            if end_time is not None:
                values["end_time"] = int(end_time)
            if values:
                session.execute(update(runs).where(runs.c.run_uuid == run_id).values(values))
            if run_name:
                rename_run(session, run_id, run_name)
            return run_info(find_run(session, run_id)._mapping)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, DELETED, now_ms())

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, ACTIVE, None)

    def _set_run_stage(self, run_id: str, stage: str, deleted_time: int | None) -> None:
        with self.session() as session:
            find_run(session, run_id)
            session.execute(
                update(runs)
                .where(runs.c.run_uuid == run_id)
                .values(lifecycle_stage=stage, deleted_time=deleted_time)
            )

    def set_tag(self, run_id: str, key: str, value: str | None) -> None:
        """Set a tag on an active run; mlflow.runName also renames the run."""
        tag = validation.checked_tag(Tag(key, value))
        with self.session() as session:
            active_run_experiment(session, run_id)
            put_tags(session, run_id, [tag])

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.session() as session:
            active_run_experiment(session, run_id)
            deleted = session.execute(
                delete(tags).where(
                    tags.c.run_uuid == run_id, compare(tags.c.key, "=", key, self.dialect)
                )
            )
            if deleted.rowcount == 0:  # type: ignore[attr-defined]
                raise not_found(f"No tag with name: {key} in run with id {run_id}")


def put_tags(session: Session, run_id: str, new_tags: Sequence[Tag]) -> None:
    """Insert or overwrite run tags in one statement; mlflow.runName renames the run too."""
    for tag in new_tags:
        if tag.key == RUN_NAME_TAG:
            validation.check_run_name(tag.value)
            session.execute(update(runs).where(runs.c.run_uuid == run_id).values(name=tag.value))
    rows = [{"run_uuid": run_id, "key": t.key, "value": t.value} for t in new_tags]
    upsert(session.connection(), tags, rows, ["run_uuid", "key"])


def rename_run(session: Session, run_id: str, name: str) -> None:
    put_tags(session, run_id, [Tag(RUN_NAME_TAG, name)])
