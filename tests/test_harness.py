"""The harness itself: each backend hands out a real, empty, writable database."""

from sqlalchemy import inspect, text

from compat import make_engine


def test_backend_is_empty_and_writable(backend: str) -> None:
    engine = make_engine(backend)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO probe (id) VALUES (7)"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM probe")).scalar_one() == 7
    finally:
        engine.dispose()
