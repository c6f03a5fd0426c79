"""The artifact proxy's options of `trackstore server`, as MLflow's server spells them.

`artifact_options` adds --serve-artifacts/--no-serve-artifacts, --artifacts-destination and
--artifacts-only, and hands the command one `artifacts` argument instead. It also settles the
default artifact root as MLflow does: `mlflow-artifacts:/` while serving artifacts, and a refusal
without one when not, since a database backend is no place for artifacts.
"""

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from compat import TrackstoreError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DESTINATION = "./mlartifacts"
PROXY_ROOT = "mlflow-artifacts:/"
SERVE_VARIABLE = "TRACKSTORE_SERVER_SERVE_ARTIFACTS"
DESTINATION_VARIABLE = "TRACKSTORE_SERVER_ARTIFACTS_DESTINATION"
ONLY_VARIABLE = "TRACKSTORE_SERVER_ARTIFACTS_ONLY"


@dataclass(frozen=True)
class ArtifactServing:
    """Whether and where the server's workers keep the artifacts clients send them."""

    serve: bool = True
    destination: str = DEFAULT_DESTINATION
    only: bool = False

    def to_environment(self) -> dict[str, str]:
        return {
            SERVE_VARIABLE: "1" if self.serve else "",
            DESTINATION_VARIABLE: self.destination,
            ONLY_VARIABLE: "1" if self.only else "",
        }

    @classmethod
    def from_environment(cls) -> "ArtifactServing":
        return cls(
            serve=bool(os.environ.get(SERVE_VARIABLE, "1")),
            destination=os.environ.get(DESTINATION_VARIABLE, DEFAULT_DESTINATION),
            only=bool(os.environ.get(ONLY_VARIABLE, "")),
        )


def resolve_destination(uri: str) -> str:
    """A relative local destination made an absolute file:// URI against the working
    directory, as MLflow resolves --artifacts-destination; other URIs unchanged.

    Imported here, when an option is resolved: the destinations bring the server's async
    libraries, which commands that take no destination should not load."""
    from store.artifact_destinations import check_destination_uri, local_root

    check_destination_uri(uri)
    root = local_root(uri)
    if root is None:
        return uri
    return (Path.cwd() / root).resolve().as_uri()


def artifact_options(func: F) -> F:
    """The three options; place it right below the command's decorator."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        serve_artifacts: bool,
        artifacts_destination: str,
        artifacts_only: bool,
        **kw: Any,
    ) -> Any:
        context = click.get_current_context()
        _refuse_backend(context, artifacts_only)
        if context.get_parameter_source("default_artifact_root") == ParameterSource.DEFAULT:
            if not serve_artifacts:
                raise click.UsageError(
                    "Option 'default-artifact-root' is required when backend store is not "
                    "local file based and artifact serving is disabled."
                )
            kw["default_artifact_root"] = PROXY_ROOT
        try:
            destination = resolve_destination(artifacts_destination)
        except TrackstoreError as exc:
            raise click.ClickException(str(exc)) from None
        serving = ArtifactServing(
            serve=serve_artifacts or artifacts_only, destination=destination, only=artifacts_only
        )
        return func(*args, artifacts=serving, **kw)

    options = [
        click.option(
            "--serve-artifacts/--no-serve-artifacts",
            default=True,
            show_default=True,
            help="Proxy artifact uploads, downloads and listings to --artifacts-destination.",
        ),
        click.option(
            "--artifacts-destination",
            envvar="MLFLOW_ARTIFACTS_DESTINATION",
            metavar="URI",
            default=DEFAULT_DESTINATION,
            show_default=True,
            help="Where proxied artifacts are kept: a local folder, file:// or s3:// URI "
            "[env MLFLOW_ARTIFACTS_DESTINATION].",
        ),
        click.option(
            "--artifacts-only",
            is_flag=True,
            help="Serve only the artifact endpoints; needs no database.",
        ),
    ]
    decorated: Any = wrapper
    for option in options:
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def _refuse_backend(context: click.Context, artifacts_only: bool) -> None:
    """A server of artifacts only serves no database, so naming one is a mistake, as MLflow
    says; MLFLOW_TRACKING_URI in the environment is not."""
    given = context.get_parameter_source("backend_store_uri") == ParameterSource.COMMANDLINE
    if artifacts_only and given:
        raise click.UsageError(
            "A server in --artifacts-only mode serves no database; drop --backend-store-uri "
            "or --artifacts-only."
        )


def gc_artifacts_option(func: F) -> F:
    """`trackstore gc`'s --artifacts-destination: the server's, resolved the same way."""

    def resolved(context: click.Context, param: click.Parameter, value: str) -> str:
        try:
            return resolve_destination(value)
        except TrackstoreError as exc:
            raise click.BadParameter(str(exc)) from None

    return click.option(
        "--artifacts-destination",
        envvar="MLFLOW_ARTIFACTS_DESTINATION",
        metavar="URI",
        default=DEFAULT_DESTINATION,
        show_default=True,
        callback=resolved,
        help="The server's artifacts destination, where mlflow-artifacts:/ locations point "
        "[env MLFLOW_ARTIFACTS_DESTINATION].",
    )(func)
