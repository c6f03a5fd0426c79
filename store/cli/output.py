"""Printing a command's lines so that a reader that goes away (`| head -3`) cannot stop it.

Once stdout's pipe is closed, the rest of the output goes to the null device: an upgrade that
was printing its progress finishes its work and exits as it would have.
"""

import os
import sys

import click


def echo(line: str, newline: bool = True) -> None:
    """Print `line` to stdout; after the reader has gone, print nothing more."""
    try:
        click.echo(line, nl=newline)
    except BrokenPipeError:
        stop_printing()


def stop_printing() -> None:
    """Send stdout to the null device, so later writes and the final flush do not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
