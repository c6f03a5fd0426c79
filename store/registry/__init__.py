"""The model registry: registered models, versions, tags and aliases (`store.RegistryStore`)."""
