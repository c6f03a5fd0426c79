"""search_runs on every backend: each operator, datasets, order_by with NULLs and NaN, paging."""

import math
import uuid
from dataclasses import dataclass

import pytest

from store.common.errors import INVALID_PARAMETER_VALUE, StoreError
from store.tracking import reading
from store.tracking.entities import Dataset, DatasetInput, Metric, Tag, ViewType
from store.tracking.store import TrackingStore

CONTEXT = "mlflow.data.context"


@dataclass(frozen=True)
class Corpus:
    experiment_id: str
    ids: dict[str, str]  # run name -> run id

    def names(self, found: object) -> list[str]:
        by_id = {run_id: name for name, run_id in self.ids.items()}
        return [by_id[run.info.run_id] for run in found]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def corpus(store: TrackingStore) -> Corpus:
    """Five runs: alpha, Beta, gamma and epsilon active, delta deleted."""
    experiment_id = store.create_experiment(f"search-{uuid.uuid4().hex}")
    spec = {
        "alpha": (
            100,
            "FINISHED",
            "ann",
            {"lr": "0.1", "opt": "adam"},
            {"acc": 0.9, "loss": 0.5},
            "Core",
        ),
        "Beta": (
            200,
            "RUNNING",
            "bob",
            {"lr": "0.01", "opt": "sgd"},
            {"acc": 0.7, "loss": math.nan},
            "core",
        ),
        "gamma": (300, "FAILED", "ann", {"lr": "0.1"}, {"acc": 0.8, "loss": 0.2}, None),
        "delta": (400, "FINISHED", "cid", {"lr": "0.1"}, {"acc": 1.0}, None),
        "epsilon": (500, "RUNNING", "dan", {"opt": "Adagrad"}, {"acc": 0.1}, "ops"),
    }
    ids = {}
    for name, (start, status, user, params, metrics, team) in spec.items():
        run_id = store.create_run(experiment_id, user, start, run_name=name).info.run_id
        ids[name] = run_id
        tags = [Tag("team", team)] if team else []
        store.log_batch(
            run_id,
            metrics=[Metric(k, v, start, 0) for k, v in metrics.items()],
            params=[Tag(k, v) for k, v in params.items()],
            tags=tags,
        )
        if status != "RUNNING":
            store.update_run_info(run_id, status, start + 50, None)
    store.log_inputs(
        ids["alpha"], [DatasetInput(Dataset("iris", "d1", "local", "s"), [Tag(CONTEXT, "train")])]
    )
    store.log_inputs(
        ids["gamma"], [DatasetInput(Dataset("wine", "d2", "local", "s"), [Tag(CONTEXT, "eval")])]
    )
    store.delete_run(ids["delta"])
    return Corpus(experiment_id, ids)


def search(store: TrackingStore, corpus: Corpus, text: str = "", **options: object) -> list[str]:
    found = store.search_runs([corpus.experiment_id], text, **options)  # type: ignore[arg-type]
    return corpus.names(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.acc > 0.8", ["alpha"]),
        ("metrics.acc >= 0.8", ["gamma", "alpha"]),
        ("metrics.acc < 0.7", ["epsilon"]),
        ("metrics.acc <= 0.7", ["epsilon", "Beta"]),
        ("metrics.acc = 0.8", ["gamma"]),
        ("metrics.acc != 0.8", ["epsilon", "Beta", "alpha"]),
        ("metrics.loss < 1", ["gamma", "alpha"]),
        ("metrics.loss != 0", ["gamma", "Beta", "alpha"]),
        ("metrics.loss = 0", []),
        ("params.lr = '0.1'", ["gamma", "alpha"]),
        ("params.lr != '0.1'", ["Beta"]),
        ("params.opt LIKE 'a%'", ["alpha"]),
        ("params.opt ILIKE 'a%'", ["epsilon", "alpha"]),
        ("params.opt LIKE 'A%'", ["epsilon"]),
        ("tags.team = 'core'", ["Beta"]),
        ("tags.team LIKE 'C%'", ["alpha"]),
        ("tags.team ILIKE 'c%'", ["Beta", "alpha"]),
        ("tags.team != 'ops'", ["Beta", "alpha"]),
        ("attributes.status = 'RUNNING'", ["epsilon", "Beta"]),
        ("status != 'RUNNING'", ["gamma", "alpha"]),
        ("user_id = 'ann'", ["gamma", "alpha"]),
        ("run_name = 'Beta'", ["Beta"]),
        ("attributes.run_name LIKE '%a'", ["gamma", "Beta", "alpha"]),
        ("`Run name` ILIKE 'BETA'", ["Beta"]),
        ("start_time > 200", ["epsilon", "gamma"]),
        ("created <= 200", ["Beta", "alpha"]),
        ("end_time >= 350", ["gamma"]),
        ("artifact_uri LIKE '%artifacts'", ["epsilon", "gamma", "Beta", "alpha"]),
        ("datasets.name = 'iris'", ["alpha"]),
        ("datasets.name IN ('iris', 'wine')", ["gamma", "alpha"]),
        ("datasets.name NOT IN ('iris')", ["gamma"]),
        ("datasets.digest LIKE 'd%'", ["gamma", "alpha"]),
        ("datasets.context = 'eval'", ["gamma"]),
        ("metrics.acc > 0.5 and params.lr = '0.1' and tags.team = 'Core'", ["alpha"]),
    ],
)
def test_filter(store: TrackingStore, corpus: Corpus, text: str, expected: list[str]) -> None:
    assert search(store, corpus, text) == expected


def test_run_id_in_and_not_in(store: TrackingStore, corpus: Corpus) -> None:
    alpha, beta = corpus.ids["alpha"], corpus.ids["Beta"]
    assert search(store, corpus, f"run_id IN ('{alpha}', '{beta}')") == ["Beta", "alpha"]
    assert search(store, corpus, f"run_id IN ('{alpha.upper()}')") == []
    assert search(store, corpus, f"attributes.run_id NOT IN ('{alpha}')") == [
        "epsilon",
        "gamma",
        "Beta",
    ]


def test_view_types(store: TrackingStore, corpus: Corpus) -> None:
    assert search(store, corpus, run_view_type=ViewType.DELETED_ONLY) == ["delta"]
    assert search(store, corpus, run_view_type="ALL") == [
        "epsilon",
        "delta",
        "gamma",
        "Beta",
        "alpha",
    ]
    assert search(store, corpus, "metrics.acc = 1", run_view_type=3) == ["delta"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.loss"], ["gamma", "alpha", "Beta", "epsilon"]),
        (["metrics.loss DESC"], ["alpha", "gamma", "Beta", "epsilon"]),
        (["params.opt"], ["epsilon", "alpha", "Beta", "gamma"]),
        (["params.opt DESC"], ["Beta", "alpha", "epsilon", "gamma"]),
        (["attributes.start_time ASC"], ["alpha", "Beta", "gamma", "epsilon"]),
        (["end_time DESC"], ["gamma", "alpha", "epsilon", "Beta"]),
        (["user_id", "metrics.acc DESC"], ["alpha", "gamma", "Beta", "epsilon"]),
        ([], ["epsilon", "gamma", "Beta", "alpha"]),
    ],
)
def test_order_by(
    store: TrackingStore, corpus: Corpus, order_by: list[str], expected: list[str]
) -> None:
    assert search(store, corpus, order_by=order_by) == expected


def test_order_by_tag_puts_missing_last(store: TrackingStore, corpus: Corpus) -> None:
    """'core' and 'Core' sort per the database's collation; only the missing one is fixed."""
    found = search(store, corpus, order_by=["tags.team DESC"])
    assert found[0] == "epsilon" and set(found[1:3]) == {"alpha", "Beta"} and found[3] == "gamma"


def test_paging_walks_every_run_once(store: TrackingStore, corpus: Corpus) -> None:
    pages, token = [], None
    while True:
        page = store.search_runs(
            [corpus.experiment_id], max_results=2, order_by=["start_time"], page_token=token
        )
        pages.append(corpus.names(page))
        token = page.next_page_token
        if token is None:
            break
    assert pages == [["alpha", "Beta"], ["gamma", "epsilon"]]


def test_results_carry_data_inputs_and_outputs(store: TrackingStore, corpus: Corpus) -> None:
    (run,) = store.search_runs([corpus.experiment_id], "datasets.context = 'train'")
    assert run.data.metric_values() == {"acc": 0.9, "loss": 0.5}
    assert run.data.param_values() == {"lr": "0.1", "opt": "adam"}
    assert [i.dataset.name for i in run.inputs.dataset_inputs] == ["iris"]
    assert run.outputs is not None and run.to_json()["outputs"] == {}


def test_a_page_read_in_parts_gives_each_run_its_own_children(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven runs read four at a time: the last part, padded to four ids, adds nothing twice."""
    monkeypatch.setattr(reading, "MAX_IDS_PER_READ", 4)
    experiment_id = store.create_experiment(f"parts-{uuid.uuid4().hex}")
    for number in range(7):
        run_id = store.create_run(experiment_id, "ann", number, run_name=f"r{number}").info.run_id
        store.log_batch(
            run_id,
            metrics=[Metric("m", number, 0, 0)],
            params=[Tag("p", str(number))],
            tags=[Tag("t", str(number))],
        )
    found = store.search_runs([experiment_id], order_by=["attributes.start_time ASC"])
    assert [
        (run.data.metric_values(), run.data.param_values(), run.data.tag_values()["t"])
        for run in found
    ] == [({"m": n}, {"p": str(n)}, str(n)) for n in range(7)]


@pytest.mark.parametrize(
    "options",
    [
        {"filter_string": "metrics.acc > 'x'"},
        {"filter_string": "params.lr = '1' OR params.lr = '2'"},
        {"order_by": ["metrics.acc sideways"]},
        {"order_by": ["datasets.name"]},
        {"max_results": 0},
        {"max_results": 50_001},
        {"page_token": "garbage"},
    ],
)
def test_bad_requests_are_invalid_parameter_values(
    store: TrackingStore, corpus: Corpus, options: dict[str, object]
) -> None:
    with pytest.raises(StoreError) as raised:
        store.search_runs([corpus.experiment_id], **options)  # type: ignore[arg-type]
    assert raised.value.error_code == INVALID_PARAMETER_VALUE


def test_non_numeric_experiment_ids_are_refused(store: TrackingStore) -> None:
    with pytest.raises(StoreError, match="experiment ids"):
        store.search_runs(["abc"])


def test_values_are_bound_not_spliced(store: TrackingStore, corpus: Corpus) -> None:
    assert search(store, corpus, "params.lr = '0.1'' OR ''1''=''1'") == []
    assert search(store, corpus, "tags.`team'; DROP TABLE runs; --` = 'x'") == []
    assert len(search(store, corpus)) == 4


@pytest.mark.backends("mysql")
def test_mysql_matches_case_sensitively(store: TrackingStore, corpus: Corpus) -> None:
    assert search(store, corpus, "tags.team = 'core'") == ["Beta"]
    assert search(store, corpus, "tags.team != 'core'") == ["epsilon", "alpha"]
    assert search(store, corpus, "tags.team LIKE 'c%'") == ["Beta"]
    assert search(store, corpus, "tags.TEAM = 'core'") == []
    assert search(store, corpus, "datasets.name IN ('IRIS')") == []
