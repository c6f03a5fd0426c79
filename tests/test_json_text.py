"""store.common.json_text: JSON text of the expected kind, or None for anything else; list tags."""

import pytest

from store.common.errors import INVALID_STATE, StoreError
from store.common.json_text import listed_in_tag, parsed_as


def test_json_of_the_kind_asked_is_returned() -> None:
    assert parsed_as('[{"name": "m", "version": 1}]', list) == [{"name": "m", "version": 1}]
    assert parsed_as('{"flavors": {}}', dict) == {"flavors": {}}


@pytest.mark.parametrize(("text", "kind"), [("[1]", dict), ('{"a": 1}', list), ("not json", list)])
def test_other_kinds_and_bad_json_give_none(text: str, kind: type) -> None:
    assert parsed_as(text, kind) is None


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_list_tag_holds_nothing(value: str | None) -> None:
    assert listed_in_tag(value, "t tag of run r", "logging") == []


def test_a_list_tag_gives_its_entries() -> None:
    assert listed_in_tag('[{"a": 1}, 2]', "t tag of run r", "logging") == [{"a": 1}, 2]


@pytest.mark.parametrize("value", ['{"a": 1}', "not json"])
def test_a_list_tag_holding_anything_else_is_refused(value: str) -> None:
    with pytest.raises(StoreError) as refused:
        listed_in_tag(value, "t tag of run r", "logging another model")
    assert refused.value.error_code == INVALID_STATE
    assert str(refused.value) == (
        "The t tag of run r is not a JSON list; delete the tag or set it to a JSON list before "
        "logging another model."
    )
