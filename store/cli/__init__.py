"""The command line: `trackstore` and its subcommands, the container's entrypoint, and gc.

`main` is the `trackstore` script's entry point (`store.cli:main` in pyproject.toml).
"""

from store.cli.commands import main

__all__ = ["main"]
