"""The model registry store: registered models and their versions, as MLflow 3.1.4 keeps them."""

from store.registry.model_versions import ModelVersionStore
from store.registry.registered_models import RegisteredModelStore


class RegistryStore(RegisteredModelStore, ModelVersionStore):
    """Every registry operation over one Engine."""


__all__ = ["RegistryStore"]
