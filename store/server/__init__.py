"""The HTTP server: MLflow's REST API over the trackstore stores, as an ASGI app."""
