"""store.json_text: JSON text of the expected kind, or None for anything else."""

import pytest

from store.json_text import parsed_as


def test_json_of_the_kind_asked_is_returned() -> None:
    assert parsed_as('[{"name": "m", "version": 1}]', list) == [{"name": "m", "version": 1}]
    assert parsed_as('{"flavors": {}}', dict) == {"flavors": {}}


@pytest.mark.parametrize(("text", "kind"), [("[1]", dict), ('{"a": 1}', list), ("not json", list)])
def test_other_kinds_and_bad_json_give_none(text: str, kind: type) -> None:
    assert parsed_as(text, kind) is None
