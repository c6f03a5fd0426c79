"""The `trackstore` command."""

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from compat import TrackstoreError, make_engine
from compat.urls import mask_text
from migrations import runner
from migrations.lock import WAIT_VARIABLE
from store import models

F = TypeVar("F", bound=Callable[..., Any])
URI_HELP = "Database URI; defaults to MLFLOW_TRACKING_URI."


def user_errors(func: F) -> F:
    """Turn TrackstoreError and database errors into one sentence on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TrackstoreError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except DBAPIError as exc:
            reason = mask_text(str(exc.orig).strip().splitlines()[0])
            click.echo(
                f"error: the database refused the operation ({reason}); "
                "nothing further was changed, check the database and run again.",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def uri_argument(func: F) -> F:
    return click.argument("uri", envvar="MLFLOW_TRACKING_URI")(func)


def echo(line: str) -> None:
    click.echo(line)


@click.group()
@click.version_option(package_name="trackstore")
def main() -> None:
    """trackstore: the backend store of an experiment tracker, MLflow 3.1.4 compatible."""


@main.group()
def db() -> None:
    """Create, migrate and inspect a database."""


def lock_timeout_option(func: F) -> F:
    return click.option(
        "--lock-timeout",
        type=float,
        envvar=WAIT_VARIABLE,
        help=f"Seconds to wait for another upgrade to finish [env {WAIT_VARIABLE}; default 3600].",
    )(func)


@db.command()
@uri_argument
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@lock_timeout_option
@user_errors
def upgrade(uri: str, revision: str, lock_timeout: float | None) -> None:
    """Upgrade the database at URI (an empty one is created)."""
    runner.upgrade(
        make_engine(uri), revision, progress=echo, fresh=models.create_all, lock_wait=lock_timeout
    )


@db.command()
@uri_argument
@click.argument("revision")
@lock_timeout_option
@user_errors
def downgrade(uri: str, revision: str, lock_timeout: float | None) -> None:
    """Downgrade the database at URI to REVISION."""
    runner.downgrade(make_engine(uri), revision, progress=echo, lock_wait=lock_timeout)


@db.command()
@uri_argument
@user_errors
def current(uri: str) -> None:
    """Print the revision the database at URI is at."""
    with make_engine(uri).connect() as connection:
        click.echo(runner.current_revision(connection) or "none (no revision recorded)")


@db.command()
def history() -> None:
    """List every revision, oldest first."""
    head = runner.head_revision()
    for script in runner.history():
        marker = " (head)" if script.revision == head else ""
        click.echo(f"{script.revision}  {script.doc}{marker}")


if __name__ == "__main__":
    main()
