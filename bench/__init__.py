"""Benchmarks that compare trackstore with MLflow (3.18.0, or 3.1.4 for the store and server
benchmarks) on the same data in the same run."""
