"""The two roads to the revision the store serves end in the same schema on every backend.

An empty database is created from the models and stamped (the fresh road); an existing one
walks every revision from MLflow's base tables (the chain road). Anything one road builds
that the other does not would split databases by their history.
"""

from sqlalchemy.engine import Engine

from compat import make_engine
from migrations import runner
from store import models
from tests.schema import Snapshot, snapshot


def schema_after(uri: str, road: runner.ServedSchema | None) -> Snapshot:
    engine: Engine = make_engine(uri)
    try:
        runner.upgrade(engine, models.REVISION, fresh=road)
        return snapshot(engine)
    finally:
        engine.dispose()


def test_fresh_road_and_chain_road_give_the_same_schema(backend: str, fresh_backend: str) -> None:
    chain = schema_after(backend, None)
    fresh = schema_after(fresh_backend, models.SERVED)
    assert fresh == chain
