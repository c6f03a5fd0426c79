"""Revision 1bd49d398cd23's trigger: a secret's id and name never change once written.

Both are bound into the encryption of the secret's value, so every database refuses an UPDATE
that changes either, and takes any other; going down removes the trigger with the tables.
"""

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import Engine

from compat import dialect_for
from migrations import runner

REVISION = "1bd49d398cd23"
TRIGGER = "prevent_secrets_aad_mutation"
REFUSAL = "secret_id and secret_name are immutable"
SECRET = {
    "id": "s-1",
    "name": "openai",
    "value": b"\x00sealed",
    "dek": b"\x01wrapped",
    "masked": "sk-...abcd",
}


def add_secret(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO secrets (secret_id, secret_name, encrypted_value, wrapped_dek, "
                "kek_version, masked_value, created_at, last_updated_at) "
                "VALUES (:id, :name, :value, :dek, 1, :masked, 1, 1)"
            ),
            SECRET,
        )


def secret_row(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT secret_id, secret_name, masked_value FROM secrets")
        ).one()
    return tuple(row)


def has_trigger(engine: Engine) -> bool:
    lookup = text(dialect_for(engine.dialect.name).trigger_lookup_sql)
    with engine.connect() as connection:
        return connection.execute(lookup, {"name": TRIGGER}).first() is not None


@pytest.mark.parametrize(
    "change",
    ["secret_name = 'anthropic'", "secret_id = 's-2'", "secret_name = 'x', masked_value = 'y'"],
)
def test_changing_a_secret_id_or_name_is_refused(fresh_engine: Engine, change: str) -> None:
    runner.upgrade(fresh_engine, REVISION)
    add_secret(fresh_engine)
    with pytest.raises(exc.DBAPIError, match=REFUSAL), fresh_engine.begin() as connection:
        connection.execute(text(f"UPDATE secrets SET {change} WHERE secret_id = 's-1'"))
    assert secret_row(fresh_engine) == ("s-1", "openai", "sk-...abcd")


def test_other_columns_and_unchanged_names_may_be_updated(fresh_engine: Engine) -> None:
    runner.upgrade(fresh_engine, REVISION)
    add_secret(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(
            text("UPDATE secrets SET masked_value = 'sk-...wxyz', secret_name = 'openai'")
        )
    assert secret_row(fresh_engine) == ("s-1", "openai", "sk-...wxyz")


def test_downgrade_removes_the_trigger_and_upgrade_puts_it_back(fresh_engine: Engine) -> None:
    runner.upgrade(fresh_engine, REVISION)
    assert has_trigger(fresh_engine)
    runner.downgrade(fresh_engine, "bf29a5ff90ea")
    assert not has_trigger(fresh_engine)
    runner.upgrade(fresh_engine, REVISION)
    assert has_trigger(fresh_engine)
