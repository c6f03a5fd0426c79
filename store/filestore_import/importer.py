"""Walking the file store and handing its rows to a sink, one experiment (with its runs,
datasets, logged models and traces) or one registered model per transaction.

An entry that cannot be read becomes a Problem and is left out; the rest goes on. An
experiment the database refuses is rolled back whole and listed the same way.
"""

import functools
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError

from compat.urls import mask_text
from store.common import tables
from store.common.errors import StoreError
from store.filestore_import import layout
from store.filestore_import.artifacts import Relocation
from store.filestore_import.layout import Problem, Unreadable
from store.filestore_import.plan import Plan, SourceExperiment, SourceModel
from store.filestore_import.rows import (
    dataset_row,
    derived_id,
    experiment_row,
    input_row,
    logged_model_row,
    model_version_row,
    registered_model_row,
    run_row,
    trace_rows,
)
from store.filestore_import.sinks import CountingSink
from store.models.base import DEFAULT_WORKSPACE
from store.traces.assessments import row_from_message
from store.tracking.batch import LARGEST_DOUBLE, stored_value

# Metric points handed to the sink at a time.
POINTS_PER_BATCH = 5_000
PROGRESS_SECONDS = 2.0


class Importer:
    def __init__(
        self,
        sink: CountingSink,
        problems: list[Problem],
        report: Callable[[str], None] | None,
        relocation: Relocation | None = None,
    ) -> None:
        self.sink, self.problems, self.report = sink, problems, report
        self.relocation = relocation
        self.started = time.monotonic()
        self._last_report = self.started
        self.experiments_done = self.runs_done = 0
        self._runs_total = 0

    def run(self, plan: Plan) -> None:
        chosen = [e for e in plan.experiments if not e.skipped]
        self._runs_total = sum(len(e.run_ids) - len(e.skip_runs) for e in chosen)
        for experiment in chosen:
            self._guarded(experiment.folder, functools.partial(self._experiment, experiment))
            self.experiments_done += 1
        for model in plan.models:
            if not model.skipped:
                self._guarded(model.folder, functools.partial(self._model, model))
        self._progress(force=True)

    def _guarded(self, folder: Path, work: Callable[[], None]) -> None:
        """Run one transaction's work; a refusal by the database leaves all of it out."""
        try:
            with self.sink.transaction():
                work()
        except DBAPIError as exc:
            reason = mask_text(str(exc.orig).strip().splitlines()[0])
            self.problems.append(
                Problem(folder, f"the database refused it ({reason}); none of it was imported")
            )

    def _experiment(self, source: SourceExperiment) -> None:
        target = source.target_id
        if target is None:
            row = experiment_row(source.meta, source.source_id, source.deleted)
            if self.relocation is not None:
                row["artifact_location"] = self.relocation.experiment(source.source_id)
            target = self.sink.new_experiment(row)
            if target != source.source_id and self.report is not None:
                self.report(
                    f"experiment {source.source_id} '{source.name}' is too large an id for "
                    f"this database: it is experiment {target} now"
                )
        tags = self._values(source.folder / "tags")
        self._add_values(tables.experiment_tags, tags, experiment_id=target)
        datasets = self._datasets(source.folder / "datasets", target)
        present = set(source.skip_runs)
        for folder in layout.run_folders(source.folder):
            if folder.name not in source.skip_runs:
                run_uuid = self._run(folder, (source.source_id, target), datasets)
                present.update([run_uuid] if run_uuid else [])
                self.runs_done += 1
                self._progress()
        self._logged_models(source.folder / "models", (source.source_id, target), present)
        self._traces(source.folder / "traces", target)

    def _run(
        self, folder: Path, experiment: tuple[int, int], datasets: dict[str, str]
    ) -> str | None:
        """Import one run; `experiment` is its experiment's (file store id, database id)."""
        try:
            meta = layout.read_meta(folder)
            tags = layout.read_values(folder / "tags")
            params = layout.read_values(folder / "params")
        except Unreadable as exc:
            self.problems.append(Problem(folder, str(exc)))
            return None
        row = run_row(meta, tags, experiment[1])
        run_uuid = str(row["run_uuid"])
        if self.relocation is not None:
            place = (str(experiment[0]), run_uuid, "artifacts")
            row["artifact_uri"] = self.relocation.move(row["artifact_uri"], *place)
        self.sink.add(tables.runs, row)
        self._add_values(tables.params, params, run_uuid=run_uuid)
        self._add_values(tables.tags, tags, run_uuid=run_uuid)
        self._run_metrics(folder / "metrics", run_uuid)
        self._inputs(folder / "inputs", run_uuid, datasets)
        self._outputs(folder / "outputs", run_uuid)
        return run_uuid

    def _run_metrics(self, folder: Path, run_uuid: str) -> None:
        """Each metric file streamed in batches; latest_metrics gets each key's greatest
        (step, timestamp, value), NaN counting as 0, as MLflow's SQL store keeps it."""
        for key, path in layout.value_files(folder):
            batch: list[tuple[Any, ...]] = []
            latest: tuple[Any, ...] | None = None
            for _, (timestamp, value, step, _rest) in self._points(path):
                is_nan = False
                if not -LARGEST_DOUBLE <= value <= LARGEST_DOUBLE:
                    value, is_nan = stored_value(value)
                batch.append((key, value, timestamp, run_uuid, step, is_nan))
                if latest is None or (step, timestamp, value) > latest[:3]:
                    latest = (step, timestamp, value, is_nan)
                if len(batch) >= POINTS_PER_BATCH:
                    self.sink.add_metrics(batch)
                    batch = []
            self.sink.add_metrics(batch)
            if latest is not None:
                step, timestamp, value, is_nan = latest
                self.sink.add(
                    tables.latest_metrics,
                    {
                        "key": key,
                        "value": value,
                        "timestamp": timestamp,
                        "step": step,
                        "is_nan": is_nan,
                        "run_uuid": run_uuid,
                    },
                )

    def _points(self, path: Path) -> Any:
        """(line number, parsed point) of each line that parses; the others become problems."""
        try:
            with path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    try:
                        yield number, layout.metric_point(line)
                    except ValueError as exc:
                        self.problems.append(
                            Problem(path, f"line {number} is not a metric point ({exc})")
                        )
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(path, f"cannot be read ({exc})"))

    def _datasets(self, folder: Path, experiment_id: int) -> dict[str, str]:
        """The experiment's datasets; maps each folder name (what inputs name) to its uuid."""
        uuids: dict[str, str] = {}
        for dataset in self._metas(folder):
            meta, name = dataset
            uuids[name] = str(meta.get("dataset_uuid") or name)
            self.sink.add(tables.datasets, dataset_row(meta, uuids[name], experiment_id))
        return uuids

    def _inputs(self, folder: Path, run_uuid: str, datasets: dict[str, str]) -> None:
        """Dataset inputs with their tags, and logged models given to the run (3.x)."""
        for meta, input_uuid in self._metas(folder):
            kind, source_id = meta.get("source_type"), str(meta.get("source_id", ""))
            if kind == "MODEL":
                row = input_row(input_uuid, ("RUN_INPUT", run_uuid), ("MODEL_INPUT", source_id))
            elif source_id in datasets:
                row = input_row(input_uuid, ("DATASET", datasets[source_id]), ("RUN", run_uuid))
            else:
                reason = f"names dataset {source_id}, which its experiment does not hold"
                self.problems.append(Problem(folder / input_uuid, reason))
                continue
            self.sink.add(tables.inputs, row)
            for name, value in (meta.get("tags") or {}).items():
                tag = {"input_uuid": input_uuid, "name": str(name), "value": str(value)}
                self.sink.add(tables.input_tags, tag)

    def _outputs(self, folder: Path, run_uuid: str) -> None:
        for meta, model_id in self._metas(folder):
            input_uuid = derived_id(run_uuid, model_id, "output")
            row = input_row(
                input_uuid,
                ("RUN_OUTPUT", run_uuid),
                ("MODEL_OUTPUT", model_id),
                int(meta.get("step") or 0),
            )
            self.sink.add(tables.inputs, row)

    def _logged_models(self, folder: Path, experiment: tuple[int, int], runs: set[str]) -> None:
        experiment_id = experiment[1]
        for meta, name in self._metas(folder):
            model_id = str(meta.get("model_id") or name)
            try:
                row = logged_model_row(meta, model_id, experiment_id)
            except StoreError as exc:
                self.problems.append(Problem(folder / name, str(exc)))
                continue
            if self.relocation is not None:
                place = (str(experiment[0]), "models", model_id, "artifacts")
                row["artifact_location"] = self.relocation.move(row["artifact_location"], *place)
            self.sink.add(tables.logged_models, row)
            owner = {"model_id": model_id, "experiment_id": experiment_id}
            for key, value in self._values(folder / name / "params").items():
                self.sink.add(
                    tables.logged_model_params, {**owner, "param_key": key, "param_value": value}
                )
            for key, value in self._values(folder / name / "tags").items():
                tag = {**owner, "tag_key": key, "tag_value": value}
                self.sink.add(tables.logged_model_tags, tag)
            self._model_metrics(folder / name / "metrics", owner, runs)

    def _model_metrics(self, folder: Path, owner: dict[str, Any], runs: set[str]) -> None:
        """Lines of "timestamp value step run_id [dataset_name dataset_digest]"."""
        for key, path in layout.value_files(folder):
            for number, (timestamp, value, step, rest) in self._points(path):
                if not rest or rest[0] not in runs:
                    reason = f"line {number} names no run of its experiment"
                    self.problems.append(Problem(path, reason))
                    continue
                dataset = [*rest[1:3], None, None][:2]
                self.sink.add(
                    tables.logged_model_metrics,
                    {
                        **owner,
                        "metric_name": key,
                        "metric_timestamp_ms": timestamp,
                        "metric_step": step,
                        "metric_value": stored_value(value)[0],
                        "run_id": rest[0],
                        "dataset_uuid": None,
                        "dataset_name": dataset[0],
                        "dataset_digest": dataset[1],
                    },
                )

    def _traces(self, folder: Path, experiment_id: int) -> None:
        for trace in layout.subfolders(folder):
            try:
                meta = layout.read_meta(trace, "trace_info.yaml")
                tags = layout.read_values(trace / "tags")
                metadata = layout.read_values(trace / "request_metadata")
            except Unreadable as exc:
                self.problems.append(Problem(trace, str(exc)))
                continue
            trace_id = str(meta.get("trace_id") or meta.get("request_id") or trace.name)
            row = trace_rows(meta, trace_id, experiment_id, tags, metadata)
            self.sink.add(tables.trace_info, row)
            self._add_values(tables.trace_tags, tags, request_id=trace_id)
            self._add_values(tables.trace_request_metadata, metadata, request_id=trace_id)
            self._assessments(trace / "assessments", row)

    def _assessments(self, folder: Path, trace: dict[str, Any]) -> None:
        """Each assessments/<id>.yaml holds the Assessment message, as the client sends it."""
        owner = cast(Any, SimpleNamespace(**trace))
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            try:
                message = layout.read_meta(folder, path.name)
                row = row_from_message(message, owner, path.stem)
            except (Unreadable, StoreError) as exc:
                self.problems.append(Problem(path, str(exc)))
                continue
            self.sink.add(tables.assessments, {**row, "valid": bool(message.get("valid", True))})

    def _model(self, model: SourceModel) -> None:
        name = model.name
        self.sink.add(tables.registered_models, registered_model_row(model.meta, name))
        tags = self._values(model.folder / "tags")
        self._add_values(tables.registered_model_tags, tags, name=name, workspace=DEFAULT_WORKSPACE)
        for meta, folder in self._metas(model.folder, prefix="version-"):
            try:
                version = model_version_row(meta, name)
            except (KeyError, TypeError, ValueError):
                reason = "meta.yaml names no version number"
                self.problems.append(Problem(model.folder / folder, reason))
                continue
            self.sink.add(tables.model_versions, version)
            owner = {"name": name, "version": version["version"], "workspace": DEFAULT_WORKSPACE}
            tags = self._values(model.folder / folder / "tags")
            self._add_values(tables.model_version_tags, tags, **owner)
        for alias, text in self._values(model.folder / "aliases").items():
            if not text.strip().isdigit():
                reason = "holds no version number"
                self.problems.append(Problem(model.folder / "aliases" / alias, reason))
                continue
            row = {"alias": alias, "version": int(text), "name": name}
            self.sink.add(tables.registered_model_aliases, {**row, "workspace": DEFAULT_WORKSPACE})

    def _metas(self, folder: Path, prefix: str = "") -> list[tuple[dict[str, Any], str]]:
        """(meta.yaml, folder name) of each subfolder; unreadable ones become problems."""
        found = []
        for sub in layout.subfolders(folder):
            if not sub.name.startswith(prefix):
                continue
            try:
                found.append((layout.read_meta(sub), sub.name))
            except Unreadable as exc:
                self.problems.append(Problem(sub, str(exc)))
        return found

    def _add_values(self, table: Table, values: dict[str, str], **owner: Any) -> None:
        """A key/value row of `table` per value, each with the `owner` columns."""
        for key, value in values.items():
            self.sink.add(table, {"key": key, "value": value, **owner})

    def _values(self, folder: Path) -> dict[str, str]:
        try:
            return layout.read_values(folder)
        except Unreadable as exc:
            self.problems.append(Problem(folder, str(exc)))
            return {}

    def _progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.report is None or (not force and now - self._last_report < PROGRESS_SECONDS):
            return
        self._last_report = now
        rate = self.sink.written / max(now - self.started, 1e-9)
        self.report(
            f"experiments {self.experiments_done}, runs {self.runs_done}/{self._runs_total}, "
            f"rows {self.sink.written:,} ({rate:,.0f} rows/s)"
        )
