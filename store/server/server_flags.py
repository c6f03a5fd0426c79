"""The options of `trackstore server`, in the shape of `mlflow server`'s.

`server_options` adds them to the command and hands the command one `ServerFlags`, so the
command itself stays short. MLflow's gunicorn and uvicorn pass-through options are accepted:
what has a meaning here (workers, bind address, keep-alive, log level) is used, the rest is
named in one warning, since trackstore runs workers of its own.
"""

import functools
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from compat import TrackstoreError, mask_url
from compat.urls import parse_url

F = TypeVar("F", bound=Callable[..., Any])

# The database `trackstore server` serves when neither --backend-store-uri nor
# MLFLOW_TRACKING_URI names one (the README's first command uses the same file).
DEFAULT_BACKEND_STORE_URI = "sqlite:///mlruns.db"
# Pass-through options that mean something here: their names, in either server's spelling,
# and the setting each one fills.
MAPPED_OPTIONS = {
    "-w": "workers",
    "--workers": "workers",
    "-b": "bind",
    "--bind": "bind",
    "--host": "host",
    "--port": "port",
    "--keep-alive": "timeout_keep_alive",
    "--timeout-keep-alive": "timeout_keep_alive",
    "--log-level": "log_level",
}


@dataclass
class ServerFlags:
    """What the server options asked for, checked and with pass-through options applied."""

    backend_store_uri: str
    host: str
    port: int
    workers: int
    upgrade: bool = False
    backup_to: Path | None = None
    static_prefix: str = ""
    # Extra uvicorn.Config settings from --gunicorn-opts / --uvicorn-opts.
    uvicorn_settings: dict[str, Any] = field(default_factory=dict)
    # Pass-through options that have no meaning here, to be named in one warning.
    ignored: list[str] = field(default_factory=list)


def server_options(func: F) -> F:
    """Add the server options to `func`, which receives them as one `flags` keyword."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in _OPTION_NAMES}
        return func(*args, flags=flags_from(**options), **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


_OPTIONS = [
    click.option(
        "--backend-store-uri",
        envvar="MLFLOW_TRACKING_URI",
        help=f"Database URI; defaults to MLFLOW_TRACKING_URI, else {DEFAULT_BACKEND_STORE_URI}.",
    ),
    click.option(
        "--registry-store-uri",
        help="Accepted as mlflow server takes it; the registry lives in the backend store, so "
        "it must be the same URI.",
    ),
    click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Address to bind."),
    click.option(
        "-p",
        "--port",
        default=5000,
        show_default=True,
        type=click.IntRange(1, 65535),
        help="Port to listen on.",
    ),
    click.option(
        "-w",
        "--workers",
        default=4,
        show_default=True,
        type=click.IntRange(min=1),
        help="Worker processes.",
    ),
    click.option(
        "--static-prefix",
        default="",
        help="Serve the web UI's paths (/ajax-api/...) under this prefix, as mlflow server does.",
    ),
    click.option(
        "--gunicorn-opts",
        help="mlflow server's gunicorn options: workers, bind, keep-alive and log-level are "
        "used, the rest is ignored with a warning.",
    ),
    click.option(
        "--uvicorn-opts",
        help="mlflow server's uvicorn options: workers, host, port, timeout-keep-alive and "
        "log-level are used, the rest is ignored with a warning.",
    ),
    click.option("--upgrade", is_flag=True, help="Upgrade the database to head before serving."),
    click.option(
        "--backup-to",
        type=click.Path(path_type=Path),
        help="With --upgrade: back the database up to this new file first; no upgrade if that "
        "fails.",
    ),
]
_OPTION_NAMES = (
    "backend_store_uri", "registry_store_uri", "host", "port", "workers", "static_prefix",
    "gunicorn_opts", "uvicorn_opts", "upgrade", "backup_to",
)  # fmt: skip


def flags_from(
    backend_store_uri: str | None,
    registry_store_uri: str | None,
    host: str,
    port: int,
    workers: int,
    static_prefix: str,
    gunicorn_opts: str | None,
    uvicorn_opts: str | None,
    upgrade: bool,
    backup_to: Path | None,
) -> ServerFlags:
    """The checked settings; TrackstoreError names the first option that will not do."""
    uri = backend_store_uri or DEFAULT_BACKEND_STORE_URI
    _check_registry(uri, registry_store_uri)
    if backup_to is not None and not upgrade:
        raise TrackstoreError("--backup-to backs up before an upgrade; add --upgrade or drop it.")
    flags = ServerFlags(uri, host, port, workers, upgrade, backup_to, _prefix(static_prefix))
    for name, text in (("--gunicorn-opts", gunicorn_opts), ("--uvicorn-opts", uvicorn_opts)):
        if text:
            apply_pass_through(flags, name, text)
    return flags


def _check_registry(backend: str, registry: str | None) -> None:
    if registry is None or parse_url(registry) == parse_url(backend):
        return
    raise TrackstoreError(
        f"--registry-store-uri {mask_url(registry)} differs from the backend store "
        f"{mask_url(backend)}; trackstore keeps the model registry in the backend store, so "
        "drop --registry-store-uri or give the same URI."
    )


def _prefix(prefix: str) -> str:
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise TrackstoreError(
            f"--static-prefix '{prefix}' must begin with '/' and not end with one, like /mlflow."
        )
    return prefix


def apply_pass_through(flags: ServerFlags, option: str, text: str) -> None:
    """Apply what `text` (the value of `option`) sets that has a meaning here."""
    for name, value in _pairs(option, text):
        setting = MAPPED_OPTIONS.get(name)
        if setting is None or value is None:
            flags.ignored.append(name)
        elif setting == "bind":
            flags.host, flags.port = _bind_address(option, value, flags.port)
        else:
            _set(flags, option, setting, value)


def _pairs(option: str, text: str) -> list[tuple[str, str | None]]:
    """`text`'s options with their values (`--name value`, `--name=value`, `-w 4`)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise TrackstoreError(
            f"{option} '{text}' cannot be read ({exc}); quote it whole."
        ) from None
    pairs: list[tuple[str, str | None]] = []
    while words:
        word = words.pop(0)
        name, equals, value = word.partition("=")
        if equals:
            pairs.append((name, value))
        elif words and not words[0].startswith("-"):
            pairs.append((name, words.pop(0)))
        else:
            pairs.append((name, None))
    return pairs


def _bind_address(option: str, value: str, port: int) -> tuple[str, int]:
    host, colon, given = value.rpartition(":")
    if not colon:
        return value, port
    return host.strip("[]"), _number(option, "--bind", given)


def _set(flags: ServerFlags, option: str, setting: str, value: str) -> None:
    if setting == "workers":
        flags.workers = max(1, _number(option, "--workers", value))
    elif setting == "host":
        flags.host = value
    elif setting == "port":
        flags.port = _number(option, "--port", value)
    elif setting == "timeout_keep_alive":
        flags.uvicorn_settings[setting] = _number(option, "--keep-alive", value)
    else:
        flags.uvicorn_settings[setting] = value.lower()


def _number(option: str, name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise TrackstoreError(
            f"{name} in {option} is '{value}'; give a whole number there."
        ) from None


def warn_ignored(flags: ServerFlags, say: Callable[[str], None]) -> None:
    """One sentence naming the pass-through options that have no meaning here."""
    if flags.ignored:
        say(
            f"warning: ignored {', '.join(flags.ignored)} from the gunicorn/uvicorn options: "
            "trackstore runs its own uvicorn workers, set with -w, -h, -p and the variables in "
            "the README."
        )
