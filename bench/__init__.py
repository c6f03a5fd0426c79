"""Benchmarks that compare trackstore with MLflow 3.1.4 on the same data in the same run."""
