"""The chain read from the scripts' text is the one Alembic reads from the scripts themselves."""

from migrations import chain, runner


def test_the_text_reading_agrees_with_alembic_on_every_revision() -> None:
    alembic = [(s.revision, s.down_revision, s.doc) for s in runner.history()]
    text = [(s.revision, s.down_revision, s.doc) for s in chain.history()]
    assert text == alembic
    assert len(text) == 70
