"""The head models create the schema MLflow 3.18.0 leaves at its head, as the databases' own
dump tools printed it (tests/reference/mlflow-3.18.0): tables, columns, keys, indexes, checks,
and the secrets trigger (with its function on PostgreSQL)."""

from sqlalchemy.engine import Engine

from compat import make_engine
from migrations.inspect_schema import differences
from store import models
from tests.head_schema import load_dump, routines
from tests.schema import Snapshot, snapshot

Picture = tuple[Snapshot, list[tuple[str, ...]]]


def picture(engine: Engine) -> Picture:
    """The schema without alembic_version (stamping writes that, not the models)."""
    with engine.connect() as connection:
        tables = snapshot(connection)
        tables.pop("alembic_version", None)
        return tables, routines(connection)


def test_head_models_create_the_dumped_schema(backend: str, fresh_engine: Engine) -> None:
    dumped = make_engine(backend)
    try:
        load_dump(dumped, dumped.dialect.name)
        reference = picture(dumped)
    finally:
        dumped.dispose()
    with fresh_engine.begin() as connection:
        models.create_all(connection)
    ours = picture(fresh_engine)
    # Compared as `db check` compares: a CHECK reads differently after a dump and restore.
    assert differences(reference[0], ours[0]) == []
    assert ours[1] == reference[1]
    assert any(name == "prevent_secrets_aad_mutation" for name, *_ in ours[1])
