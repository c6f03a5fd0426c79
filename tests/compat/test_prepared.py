"""compat.prepared on every backend: the driver's rows equal SQLAlchemy's for the same SELECT."""

from collections.abc import Iterator

import pytest
from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table, bindparam, select
from sqlalchemy.engine import Connection

from compat import make_engine
from compat.prepared import PreparedSelect

metadata = MetaData()
probe = Table(
    "prepared_probe",
    metadata,
    Column("owner", String(32), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Float(precision=53)),
    Column("count", BigInteger),
)
BY_OWNER = (
    select(probe.c.key, probe.c.value, probe.c.count)
    .where(
        probe.c.owner == bindparam("owner"),
        probe.c.count >= bindparam("least"),
        probe.c.key != "k3",  # a value written into the statement
    )
    .order_by(probe.c.key)
)


@pytest.fixture
def connection(backend: str) -> Iterator[Connection]:
    engine = make_engine(backend)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(
                probe.insert(),
                [
                    {"owner": owner, "key": f"k{n}", "value": n / 3, "count": 2**40 + n}
                    for owner in ("a", "b")
                    for n in range(5)
                ]
                + [{"owner": "a", "key": "50% of 'it'", "value": None, "count": 2**41}],
            )
            yield connection
            connection.execute(probe.delete())
    finally:
        engine.dispose()


def test_rows_equal_sqlalchemys_whatever_the_paramstyle(connection: Connection) -> None:
    prepared = PreparedSelect(BY_OWNER)
    params = {"owner": "a", "least": 2**40 + 2}
    expected = [tuple(row) for row in connection.execute(BY_OWNER, params)]
    assert len(expected) == 3
    assert prepared.rows(connection, params) == expected
    assert prepared.rows(connection, {"owner": "b", "least": 0}) == [
        tuple(row) for row in connection.execute(BY_OWNER, {"owner": "b", "least": 0})
    ]
