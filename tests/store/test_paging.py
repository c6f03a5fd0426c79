"""Page tokens: MLflow's base64 JSON offsets, and refusals of anything else."""

import base64

import pytest

from store.common.errors import StoreError
from store.common.paging import check_max_results, offset_from_token, token_for_offset


def test_token_is_base64_json_offset_as_mlflow_writes_it() -> None:
    token = token_for_offset(40)
    assert base64.b64decode(token) == b'{"offset": 40}'
    assert offset_from_token(token) == 40
    assert offset_from_token(token.encode()) == 40


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_means_the_first_page(token: str | None) -> None:
    assert offset_from_token(token) == 0


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b'{"page": 3}').decode(),
        base64.b64encode(b'{"offset": "x"}').decode(),
        base64.b64encode(b'{"offset": -5}').decode(),
        base64.b64encode(b"[1]").decode(),
    ],
)
def test_bad_tokens_are_invalid_parameter_values(token: str) -> None:
    with pytest.raises(StoreError, match="Invalid page token") as raised:
        offset_from_token(token)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("max_results", [0, -1, 50_001])
def test_max_results_out_of_range_is_refused(max_results: int) -> None:
    with pytest.raises(StoreError, match="max_results"):
        check_max_results(max_results)


def test_max_results_none_only_where_allowed() -> None:
    check_max_results(None, allow_none=True)
    check_max_results(50_000)
    with pytest.raises(StoreError, match="max_results"):
        check_max_results(None)
