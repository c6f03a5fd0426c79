"""The tracking store: experiments, runs, and what is logged to them, MLflow 3.1.4 compatible.

    store = TrackingStore(make_engine(uri), artifact_root="./mlruns")
    experiment_id = store.create_experiment("demo")
    run = store.create_run(experiment_id, user_id="me")
    store.log_batch(run.info.run_id, metrics=[Metric("loss", 0.3, timestamp=0, step=1)])

Every method runs in its own transaction and raises StoreError (with MLflow's error code) on
bad input, leaving the database unchanged. Results are entities from `store.tracking.entities`.
"""

from sqlalchemy.engine import Engine

from store.tracking.batch import LoggingStore
from store.tracking.dataset_summaries import DatasetSummaryStore
from store.tracking.experiments import DEFAULT_EXPERIMENT_ID, ExperimentStore
from store.tracking.inputs import InputStore
from store.tracking.outputs import OutputStore
from store.tracking.queries import QueryStore
from store.tracking.runs import RunStore
from store.tracking.sampling import SamplingStore
from store.tracking.uris import resolve_local


class TrackingStore(
    ExperimentStore,
    RunStore,
    LoggingStore,
    InputStore,
    OutputStore,
    QueryStore,
    SamplingStore,
    DatasetSummaryStore,
):
    """Tracking over one Engine; `artifact_root` is where new experiments keep artifacts."""

    def __init__(self, engine: Engine, artifact_root: str = "./mlruns") -> None:
        super().__init__(engine)
        self.artifact_root = resolve_local(artifact_root)


__all__ = ["DEFAULT_EXPERIMENT_ID", "TrackingStore"]
