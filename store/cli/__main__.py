"""`python -m store.cli` runs the `trackstore` command."""

from store.cli.commands import main

main()
