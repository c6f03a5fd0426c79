"""The Alembic script directory (`env.py`, `versions/`) and the runner that drives it."""
