"""Registry and logged model data crosses between trackstore and MLflow 3.18.0 unchanged.

Each direction writes registered models and versions and logged models with one side
and reads all of it back through both, as MLflow's REST JSON: single reads, latest versions,
aliases, download URIs, and what a set of searches return in which order. Both sides share
one database, created by trackstore. Run with `/opt/mlflow-318/bin/pytest`.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from compat import make_engine
from store.logged_models.store import LoggedModelStore
from store.registry.store import RegistryStore
from store.tracking.entities import Metric, Tag
from store.tracking.store import TrackingStore
from tests.mlflow_compat.test_tracking_roundtrip import close, mlflow_store, normal, proto_json
from tests.store.fresh import create_fresh_schema

pytestmark = pytest.mark.mlflow_compat
mlflow = pytest.importorskip("mlflow", minversion="3.18")

MODEL_SEARCHES = [
    ("name LIKE '{p}%'", ["name DESC"]),
    ("name LIKE '{p}%' AND tags.team = 'red'", ["timestamp DESC"]),
    ("name ILIKE '{P}%' AND tags.`mlflow.prompt.is_prompt` = 'true'", []),
]
VERSION_SEARCHES = [
    ("name LIKE '{p}%'", []),
    ("name LIKE '{p}%' AND run_id IN ('runa', 'runb')", ["version_number ASC"]),
    ("name LIKE '{p}%' AND tags.stage = 'gold'", ["name DESC", "creation_timestamp"]),
    ("name LIKE '{p}%' AND version_number >= 2", ["last_updated_timestamp DESC"]),
]
MODEL_ORDERS: list[list[dict[str, Any]]] = [
    [],
    [{"field_name": "metrics.acc", "ascending": False}],
    [{"field_name": "name", "ascending": True}],
]


@dataclass
class Written:
    """What one writer produced, for both sides to read back."""

    prefix: str
    experiment_id: str
    versions: dict[str, list[int]] = field(default_factory=dict)
    model_ids: list[str] = field(default_factory=list)


@dataclass
class Sides:
    ours: dict[str, Any]
    theirs: dict[str, Any]
    written: dict[str, Written]


@pytest.fixture(scope="module")
def sides(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sides]:
    """trackstore's and MLflow's stores over one database, each having written its share."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as MlflowRegistry

    artifacts = str(tmp_path_factory.mktemp("artifacts"))
    engine = make_engine(backend)
    create_fresh_schema(engine)
    tracking = TrackingStore(engine, artifacts)
    ours = {
        "tracking": tracking,
        "registry": RegistryStore(engine),
        "models": LoggedModelStore(engine),
    }
    theirs_tracking = mlflow_store(backend, artifacts)
    theirs = {"tracking": theirs_tracking, "registry": MlflowRegistry(backend)}
    theirs["models"] = theirs_tracking
    written = {
        "trackstore": write(TrackstoreWriter(ours)),
        "mlflow": write(MlflowWriter(theirs)),
    }
    yield Sides(ours, theirs, written)
    theirs["registry"]._dispose_engine()
    close(theirs_tracking, engine)


@pytest.fixture(params=["trackstore", "mlflow"])
def case(request: pytest.FixtureRequest, sides: Sides) -> tuple[Sides, Written]:
    """Both sides, and what one of them (the parameter) wrote."""
    return sides, sides.written[request.param]


def test_registered_models_read_back_identically(case: tuple[Sides, Written]) -> None:
    sides, written = case
    ours, theirs = sides.ours["registry"], sides.theirs["registry"]
    for name in written.versions:
        same(ours.get_registered_model(name), theirs.get_registered_model(name))
        same_list(ours.get_latest_versions(name), theirs.get_latest_versions(name))
        staged = ["Production", "staging"]
        same_list(ours.get_latest_versions(name, staged), theirs.get_latest_versions(name, staged))


def test_model_versions_read_back_identically(case: tuple[Sides, Written]) -> None:
    sides, written = case
    ours, theirs = sides.ours["registry"], sides.theirs["registry"]
    for name, numbers in written.versions.items():
        for number in numbers:
            same(ours.get_model_version(name, number), theirs.get_model_version(name, number))
            assert ours.get_model_version_download_uri(
                name, number
            ) == theirs.get_model_version_download_uri(name, number)
        same(
            ours.get_model_version_by_alias(name, "champion"),
            theirs.get_model_version_by_alias(name, "champion"),
        )


@pytest.mark.parametrize(("text", "order_by"), MODEL_SEARCHES)
def test_model_searches_agree(case: tuple[Sides, Written], text: str, order_by: list[str]) -> None:
    sides, written = case
    text = text.format(p=written.prefix, P=written.prefix.upper())
    found = sides.ours["registry"].search_registered_models(text, 100, order_by)
    expected = sides.theirs["registry"].search_registered_models(text, 100, order_by)
    assert found.items, "every search here matches some models"
    same_list(found, expected)


@pytest.mark.parametrize(("text", "order_by"), VERSION_SEARCHES)
def test_version_searches_agree(
    case: tuple[Sides, Written], text: str, order_by: list[str]
) -> None:
    sides, written = case
    text = text.format(p=written.prefix)
    found = sides.ours["registry"].search_model_versions(text, 1000, order_by or None)
    expected = sides.theirs["registry"].search_model_versions(text, 1000, order_by or None)
    assert found.items, "every search here matches some versions"
    same_list(found, expected)


def test_logged_models_read_back_identically(case: tuple[Sides, Written]) -> None:
    sides, written = case
    for model_id in written.model_ids:
        same(sides.ours["models"].get_logged_model(model_id),
                    sides.theirs["models"].get_logged_model(model_id))  # fmt: skip


@pytest.mark.parametrize("order_by", MODEL_ORDERS)
def test_logged_model_searches_agree(
    case: tuple[Sides, Written], order_by: list[dict[str, Any]]
) -> None:
    sides, written = case
    ids = [written.experiment_id]
    for text in ("", "params.lr = '0.1'", "metrics.acc > 0.5", "tags.k = 'v1'"):
        found = sides.ours["models"].search_logged_models(ids, text or None, None, 100, order_by)
        expected = sides.theirs["models"].search_logged_models(
            ids, text or None, None, 100, order_by or None
        )
        assert found.items, f"{text!r} matches some models"
        same_list(found, expected)


def same(ours: Any, theirs: Any) -> None:
    """trackstore's entity renders as MLflow renders its own (tag lists in key order)."""
    assert normal(ours.to_json()) == normal(proto_json(theirs))


def same_list(ours: Any, theirs: Any) -> None:
    """Two result lists render alike, item by item and in the same order."""
    assert [normal(o.to_json()) for o in ours] == [normal(proto_json(t)) for t in theirs]


def write(writer: "Writer") -> Written:
    """Three models (one a prompt) with versions, stages, aliases and tags; logged models with
    params, tags and metrics."""
    prefix = f"rt{uuid.uuid4().hex[:8]}"
    written = Written(prefix, writer.experiment(f"{prefix}-experiment"))
    for index, team in enumerate(["red", "blue", "red"]):
        name = f"{prefix}-{index}"
        prompt = [Tag("mlflow.prompt.is_prompt", "true")] if index == 2 else []
        writer.model(name, [Tag("team", team), *prompt], f"model {index}" if index else None)
        for number in range(1, 4):
            gold = [Tag("stage", "gold")] if number == 2 else []
            writer.version(name, f"s3://b/{name}/{number}", f"run{'abc'[number - 1]}", gold)
        writer.stage(name, 2, "Production", False)
        writer.stage(name, 3, "Production", True)
        writer.alias(name, "champion", 3)
        writer.delete_version(name, 1)
        written.versions[name] = [2, 3]
    run_id = writer.run(written.experiment_id)
    for index in range(3):
        model_id = writer.logged_model(written.experiment_id, f"lm{index}", run_id, index)
        written.model_ids.append(model_id)
    return written


def model_metrics(index: int, model_id: str) -> list[dict[str, Any]]:
    """Two metrics of a logged model, the second on dataset d (digest x)."""
    first = {"key": "acc", "value": index / 3, "timestamp": 10, "step": 0, "model_id": model_id}
    return [first, {**first, "value": index / 3 + 1, "step": 1, "dataset_name": "d",
                    "dataset_digest": "x"}]  # fmt: skip


class Writer(Protocol):
    """One side's way of writing the scenario."""

    def experiment(self, name: str) -> str: ...
    def run(self, experiment_id: str) -> str: ...
    def model(self, name: str, tags: list[Tag], description: str | None) -> None: ...
    def version(self, name: str, source: str, run_id: str, tags: list[Tag]) -> None: ...
    def stage(self, name: str, version: int, stage: str, archive: bool) -> None: ...
    def alias(self, name: str, alias: str, version: int) -> None: ...
    def delete_version(self, name: str, version: int) -> None: ...
    def logged_model(self, experiment_id: str, name: str, run_id: str, index: int) -> str: ...


class TrackstoreWriter:
    def __init__(self, stores: dict[str, Any]) -> None:
        self.tracking: TrackingStore = stores["tracking"]
        self.registry: RegistryStore = stores["registry"]
        self.models: LoggedModelStore = stores["models"]

    def experiment(self, name: str) -> str:
        return self.tracking.create_experiment(name)

    def run(self, experiment_id: str) -> str:
        return self.tracking.create_run(experiment_id, "me", 1).info.run_id

    def model(self, name: str, tags: list[Tag], description: str | None) -> None:
        self.registry.create_registered_model(name, tags, description)

    def version(self, name: str, source: str, run_id: str, tags: list[Tag]) -> None:
        self.registry.create_model_version(name, source, run_id, tags, f"http://{run_id}")

    def stage(self, name: str, version: int, stage: str, archive: bool) -> None:
        self.registry.transition_model_version_stage(name, version, stage, archive)

    def alias(self, name: str, alias: str, version: int) -> None:
        self.registry.set_registered_model_alias(name, alias, version)

    def delete_version(self, name: str, version: int) -> None:
        self.registry.delete_model_version(name, version)

    def logged_model(self, experiment_id: str, name: str, run_id: str, index: int) -> str:
        model = self.models.create_logged_model(
            experiment_id, name, run_id, [Tag("k", f"v{index}")], [Tag("lr", f"0.{index}")], "t"
        )
        metrics = [Metric(**point) for point in model_metrics(index, model.model_id)]
        self.tracking.log_batch(run_id, metrics=metrics)
        if index:
            self.models.finalize_logged_model(model.model_id, "READY")
        return model.model_id


class MlflowWriter:
    def __init__(self, stores: dict[str, Any]) -> None:
        self.tracking = stores["tracking"]
        self.registry = stores["registry"]

    def experiment(self, name: str) -> str:
        return self.tracking.create_experiment(name)  # type: ignore[no-any-return]

    def run(self, experiment_id: str) -> str:
        return self.tracking.create_run(experiment_id, "me", 1, [], None).info.run_id  # type: ignore[no-any-return]

    def model(self, name: str, tags: list[Tag], description: str | None) -> None:
        from mlflow.entities.model_registry import RegisteredModelTag

        rm_tags = [RegisteredModelTag(t.key, t.value) for t in tags]
        self.registry.create_registered_model(name, rm_tags, description)

    def version(self, name: str, source: str, run_id: str, tags: list[Tag]) -> None:
        from mlflow.entities.model_registry import ModelVersionTag

        mv_tags = [ModelVersionTag(t.key, t.value) for t in tags]
        self.registry.create_model_version(name, source, run_id, mv_tags, f"http://{run_id}")

    def stage(self, name: str, version: int, stage: str, archive: bool) -> None:
        self.registry.transition_model_version_stage(name, version, stage, archive)

    def alias(self, name: str, alias: str, version: int) -> None:
        self.registry.set_registered_model_alias(name, alias, version)

    def delete_version(self, name: str, version: int) -> None:
        self.registry.delete_model_version(name, version)

    def logged_model(self, experiment_id: str, name: str, run_id: str, index: int) -> str:
        from mlflow import entities

        model = self.tracking.create_logged_model(
            experiment_id,
            name,
            run_id,
            [entities.LoggedModelTag("k", f"v{index}")],
            [entities.LoggedModelParameter("lr", f"0.{index}")],
            "t",
        )
        metrics = [entities.Metric(**point) for point in model_metrics(index, model.model_id)]
        self.tracking.log_batch(run_id, metrics, [], [])
        if index:
            self.tracking.finalize_logged_model(model.model_id, entities.LoggedModelStatus.READY)
        return model.model_id  # type: ignore[no-any-return]
