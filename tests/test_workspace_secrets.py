"""The workspace revision copies secrets on SQLite, which drops the table's trigger: it must
put the trigger back, going up and going down, so a secret's id and name stay frozen."""

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import Engine

from migrations import runner
from tests.test_secrets_trigger import REFUSAL, add_secret, secret_row

WORKSPACES = "1b5f0d9ad7c1"
BELOW = "c8d9e0f1a2b3"


def assert_name_frozen(engine: Engine) -> None:
    with pytest.raises(exc.DBAPIError, match=REFUSAL), engine.begin() as connection:
        connection.execute(text("UPDATE secrets SET secret_name = 'other'"))
    assert secret_row(engine) == ("s-1", "openai", "sk-...abcd")


def test_secret_names_stay_frozen_across_the_workspace_revision(fresh_engine: Engine) -> None:
    runner.upgrade(fresh_engine, BELOW)
    add_secret(fresh_engine)
    runner.upgrade(fresh_engine, WORKSPACES)
    assert_name_frozen(fresh_engine)
    runner.downgrade(fresh_engine, BELOW)
    assert_name_frozen(fresh_engine)
