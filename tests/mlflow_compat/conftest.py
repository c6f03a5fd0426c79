"""The side-by-side servers of tests/client_scenarios.py, for this folder's tests."""

from tests.client_scenarios import local_artifact_servers, no_retries, servers

__all__ = ["local_artifact_servers", "no_retries", "servers"]
