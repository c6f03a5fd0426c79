"""Benchmarks that compare trackstore with MLflow (3.18.0; 3.1.4 as well where it is cheap) on the
same data in the same run."""
