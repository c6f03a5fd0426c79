"""The `trackstore` command."""

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from compat import TrackstoreError, make_engine
from compat.backups.base import readable_file
from compat.urls import mask_text, parse_url
from migrations import backups, plan, releases, runner
from migrations import check as schema_check
from migrations.lock import WAIT_VARIABLE
from migrations.progress import one_line
from migrations.rehearse import rehearse as rehearse_backup
from migrations.rehearse import write_junit
from store import models
from store.cli.output import echo
from store.common.upgrading import upgrade_and_verify
from store.server.artifact_flags import ArtifactServing, artifact_options, gc_artifacts_option
from store.server.server_flags import ServerFlags, server_options, warn_ignored

F = TypeVar("F", bound=Callable[..., Any])
URI_HELP = "Database URI; defaults to MLFLOW_TRACKING_URI."
# The databases `db upgrade --sql` writes scripts for.
OFFLINE_DIALECTS = ("mssql", "mysql", "postgresql", "sqlite")


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
@click.argument("uri", envvar="MLFLOW_TRACKING_URI", required=False)
@click.option(
    "--revision",
    help=f"Target revision, or mlflow-X.Y.Z for that release's head [default: {models.REVISION}, "
    "the one trackstore serves; `head` walks the whole chain].",
)
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it; needs no database.")
@click.option(
    "--dialect",
    type=click.Choice(OFFLINE_DIALECTS),
    help="With --sql: the database to write SQL for (default: the one URI names).",
)
@click.option(
    "--from",
    "start",
    metavar="REV",
    help="With --sql: the revision the database is at (default: empty; base tables included).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (revisions, rewrites, timings); change nothing."
)
@click.option(
    "--backup-to",
    type=click.Path(path_type=Path),
    help="Back the database up to this new file first; no upgrade if that fails.",
)
@lock_timeout_option
@user_errors
def upgrade(
    uri: str | None,
    revision: str | None,
    sql: bool,
    dialect: str | None,
    start: str | None,
    dry_run: bool,
    backup_to: Path | None,
    lock_timeout: float | None,
) -> None:
    """Upgrade the database at URI (an empty one is created), or print the SQL with --sql."""
    if sql:
        if dry_run or backup_to is not None:
            raise TrackstoreError("--sql writes a script only; drop --dry-run and --backup-to.")
        script = runner.offline_sql(
            offline_dialect(uri, dialect), start, revision or models.REVISION
        )
        echo(script, newline=False)
        return
    if dialect is not None or start is not None:
        raise TrackstoreError("--dialect and --from only apply to --sql; add --sql or drop them.")
    if uri is None:
        raise TrackstoreError(
            "No database given; pass its URI, set MLFLOW_TRACKING_URI, or use --sql --dialect."
        )
    engine = make_engine(uri, create=not dry_run)
    if dry_run:
        for line in plan.render(plan.make_plan(engine, revision, fresh=models.SERVED), engine):
            echo(line)
        return
    upgrade_and_verify(
        engine,
        revision,
        echo,
        lock_wait=lock_timeout,
        before_change=None
        if backup_to is None
        else functools.partial(backups.take_backup, engine, backup_to, echo),
    )


def offline_dialect(uri: str | None, dialect: str | None) -> str:
    """The database an offline script is for: --dialect, else the one URI names (unopened)."""
    named = parse_url(uri).get_backend_name() if uri is not None else None
    if dialect is not None and named is not None and named != dialect:
        raise TrackstoreError(
            f"--dialect {dialect} contradicts the {named} URI; give only one of them."
        )
    if dialect is None and named is None:
        raise TrackstoreError("--sql needs --dialect (mssql, mysql, postgresql or sqlite).")
    return str(dialect or named)


@db.command()
@uri_argument
@click.argument("revision")
@lock_timeout_option
@user_errors
def downgrade(uri: str, revision: str, lock_timeout: float | None) -> None:
    """Downgrade the database at URI to REVISION (mlflow-X.Y.Z: that release's head)."""
    runner.downgrade(
        make_engine(uri, create=False), revision, progress=echo, lock_wait=lock_timeout
    )


@db.command()
@uri_argument
@click.argument("revision")
@lock_timeout_option
@user_errors
def stamp(uri: str, revision: str, lock_timeout: float | None) -> None:
    """Record REVISION as the revision of the database at URI, changing no table
    (mlflow-X.Y.Z means that release's head).

    Only for a database whose schema you have checked is at REVISION but records none.
    """
    runner.stamp(make_engine(uri, create=False), revision, progress=echo, lock_wait=lock_timeout)


@db.command()
@uri_argument
@user_errors
def current(uri: str) -> None:
    """Print the revision the database at URI is at, and the MLflow releases it belongs to."""
    with make_engine(uri, create=False).connect() as connection:
        revision = runner.current_revision(connection)
    echo(
        "none (no revision recorded)"
        if revision is None
        else releases.current_line(revision, runner.chain())
    )


@db.command()
def history() -> None:
    """List every revision, oldest first, with the MLflow release that first shipped it."""
    ends = (("head", runner.head_revision()), ("served", models.REVISION))
    chain = runner.chain()
    echo(f"{'revision':<13} {'first shipped':<14} what it does")
    for script in runner.history():
        marks = ", ".join(name for name, revision in ends if revision == script.revision)
        shipped = releases.shipped_in(script.revision, chain)
        doc = one_line(script.doc)
        echo(f"{script.revision:<13} {shipped:<14} {doc}{f' ({marks})' if marks else ''}")


@db.command()
@uri_argument
@click.option(
    "--to", "path", required=True, type=click.Path(path_type=Path), help="The new backup file."
)
@user_errors
def backup(uri: str, path: Path) -> None:
    """Back up the whole database at URI to a new file, in the database's own format."""
    backups.take_backup(make_engine(uri, create=False), path, echo)


@db.command()
@click.argument("path", type=click.Path(path_type=Path))
@uri_argument
@click.option("--force", is_flag=True, help="Replace the tables of a database that is not empty.")
@lock_timeout_option
@user_errors
def restore(path: Path, uri: str, force: bool, lock_timeout: float | None) -> None:
    """Restore the backup at PATH into the database at URI."""
    backups.restore_backup(path, make_engine(uri), force, echo, lock_timeout)


@db.command()
@uri_argument
@user_errors
def check(uri: str) -> None:
    """Compare the live schema at URI with what its recorded revision must be."""
    result = schema_check.check(make_engine(uri, create=False), fresh=models.SERVED)
    for difference in result.differences:
        echo(difference)
    if result.differences:
        raise TrackstoreError(
            f"The schema differs from revision {result.revision} in "
            f"{len(result.differences)} places, listed above; repair them or restore the "
            "backup taken before the change."
        )
    echo(f"the schema matches revision {result.revision}")


@db.command()
@click.argument("backup_path", metavar="BACKUP", type=click.Path(path_type=Path))
@click.option("--scratch", required=True, help="URI of an empty database to rehearse on.")
@click.option(
    "--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report to this file."
)
@user_errors
def rehearse(backup_path: Path, scratch: str, junit: Path | None) -> None:
    """Restore BACKUP into the scratch database, upgrade it with timings, verify, try the way
    back down, and report one JUnit test case per revision."""
    readable_file(backup_path)
    result = rehearse_backup(backup_path, make_engine(scratch), models.SERVED, echo)
    if junit is not None:
        write_junit(result, junit, f"trackstore rehearse {backup_path.name}")
        click.echo(f"wrote the JUnit report to {junit}")
    if result.failures:
        raise TrackstoreError(
            f"The rehearsal of {backup_path} failed in {result.failures} of "
            f"{len(result.cases)} cases, listed above; fix them before upgrading production."
        )
    click.echo(f"the rehearsal of {backup_path} passed: {len(result.cases)} cases")


@db.command("import-filestore")
@click.argument("source")
@uri_argument
@click.option("--dry-run", is_flag=True, help="Print what would be imported, with counts.")
@click.option("--strict", is_flag=True, help="Refuse, writing nothing, if any entry is unreadable.")
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Leave out experiments, runs and models whose name or id the target already uses.",
)
@click.option(
    "--artifacts-to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy local artifacts into this folder (the server's --artifacts-destination) and "
    "point runs and models at them with mlflow-artifacts:/ URIs.",
)
@user_errors
def import_filestore(
    source: str,
    uri: str,
    dry_run: bool,
    strict: bool,
    skip_existing: bool,
    artifacts_to: Path | None,
) -> None:
    """Import the MLflow file store at SOURCE (./mlruns or a file: URI) into the database at
    URI, empty or at head; a re-run adds only what is missing."""
    from store.filestore_import.command import Options
    from store.filestore_import.command import import_filestore as run_import

    options = Options(dry_run, strict, skip_existing, artifacts_to)
    run_import(source, uri, options, echo, functools.partial(click.echo, err=True))


@main.command()
@artifact_options
@user_errors
@server_options
@click.option(
    "--default-artifact-root",
    default="mlflow-artifacts:/",
    show_default=True,
    help="Where new experiments keep their artifacts.",
)
def server(default_artifact_root: str, flags: ServerFlags, artifacts: ArtifactServing) -> None:
    """Serve MLflow's REST API over the database; refuses a database not at head."""
    from store.server import launch
    from store.server.app import Settings

    settings = Settings(flags.backend_store_uri, default_artifact_root, artifacts)
    warn_ignored(flags, functools.partial(click.echo, err=True))
    launch.run_server(settings, flags, progress=echo)


@main.command()
@click.option("--backend-store-uri", envvar="MLFLOW_TRACKING_URI", required=True, help=URI_HELP)
@click.option(
    "--older-than",
    metavar="AGE",
    help="Only what was deleted longer ago than AGE, in #d#h#m#s form (e.g. 30d, 1d2h3m4s).",
)
@click.option(
    "--run-ids", metavar="IDS", help="Comma-separated deleted runs to remove (default: all)."
)
@click.option(
    "--experiment-ids",
    metavar="IDS",
    help="Comma-separated deleted experiments to remove with all their runs (default: all).",
)
@gc_artifacts_option
@user_errors
def gc(
    backend_store_uri: str,
    older_than: str | None,
    run_ids: str | None,
    experiment_ids: str | None,
    artifacts_destination: str,
) -> None:
    """Permanently remove deleted runs and experiments with all their rows, as `mlflow gc`.

    Refuses, removing nothing, when a given run or experiment is not deleted. The removed runs'
    artifacts go too: under --artifacts-destination for mlflow-artifacts:/ locations, or at
    their own file:// or s3:// location.
    """
    from store.artifact_destinations.removal import ArtifactRemoval
    from store.cli.gc import GarbageCollector
    from store.common.guard import ensure_servable

    engine = make_engine(backend_store_uri, create=False)
    ensure_servable(engine, create_if_empty=False)
    collector = GarbageCollector(engine)
    chosen = collector.plan(older_than, _id_list(run_ids), _id_list(experiment_ids))
    removed = collector.collect(chosen, echo, ArtifactRemoval(artifacts_destination))
    click.echo(removed.sentence())


def _id_list(ids: str | None) -> list[str]:
    return [part.strip() for part in (ids or "").split(",") if part.strip()]
