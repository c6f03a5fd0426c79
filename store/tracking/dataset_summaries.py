"""The datasets the runs of some experiments used, as the UI's dataset filter lists them."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select

from store.common.base import SqlStore
from store.common.errors import StoreError
from store.common.tables import datasets, input_tags, inputs
from store.tracking.entities import JsonObject

# The input tag that says what a dataset was for (training, evaluation, ...).
CONTEXT_TAG = "mlflow.data.context"
# MLflow's cap on the summaries of one request.
MAX_SUMMARIES = 1000


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    experiment_id: str
    name: str
    digest: str
    context: str | None

    def to_json(self) -> JsonObject:
        body: JsonObject = {
            "experiment_id": self.experiment_id,
            "name": self.name,
            "digest": self.digest,
        }
        if self.context is not None:
            body["context"] = self.context
        return body


class DatasetSummaryStore(SqlStore):
    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """Each distinct (experiment, dataset, context) linked to a run, up to MAX_SUMMARIES,
        ordered so that the same database always answers alike."""
        numbers = [_experiment_id(value) for value in experiment_ids]
        context = input_tags.c.value
        stmt = (
            select(datasets.c.experiment_id, datasets.c.name, datasets.c.digest, context)
            .distinct()
            .join(inputs, inputs.c.source_id == datasets.c.dataset_uuid)
            .outerjoin(
                input_tags,
                and_(
                    input_tags.c.input_uuid == inputs.c.input_uuid,
                    input_tags.c.name == CONTEXT_TAG,
                ),
            )
            .where(datasets.c.experiment_id.in_(numbers))
            .order_by(datasets.c.experiment_id, datasets.c.name, datasets.c.digest, context)
            .limit(MAX_SUMMARIES)
        )
        with self.read_session() as session:
            return [
                DatasetSummary(str(row[0]), row[1], row[2], row[3]) for row in session.execute(stmt)
            ]


def _experiment_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise StoreError(
            f"Invalid experiment ID '{value}'. Experiment ID must be a valid integer."
        ) from None
