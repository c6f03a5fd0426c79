"""Helpers the registry, logged model, trace and gc tests share."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from store.common.errors import StoreError
from store.registry.store import RegistryStore


def refused(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> StoreError:
    """The StoreError that `call(*args, **kwargs)` raises, checked to carry `code`."""
    with pytest.raises(StoreError) as raised:
        call(*args, **kwargs)
    assert raised.value.error_code == code
    return raised.value


def new_model(registry: RegistryStore) -> str:
    """The name of a new registered model with no versions."""
    name = f"model-{uuid.uuid4().hex[:12]}"
    registry.create_registered_model(name)
    return name
