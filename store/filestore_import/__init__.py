"""`trackstore db import-filestore`: an MLflow file store (./mlruns) copied into a database.

`layout` knows where the file store keeps what, `rows` turns its files into the rows of the
head tables, `sinks` writes them (or only counts them), `plan` compares the file store with
the target before anything is written, and `command` runs an import from end to end.
"""
