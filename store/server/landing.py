"""The page at `GET /`: what answers on this port, and how to look at its data in a browser.

trackstore has no UI of its own; MLflow's UI reads the same database, so the page names the
`mlflow server` command that opens it. Every value is HTML-escaped and the backend's password
masked, since the page is served to anyone who can reach the port.
"""

import shlex
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from compat.urls import mask_text, parse_url

# The MLflow release whose schema and REST API trackstore serves, and so whose UI reads its data.
MLFLOW_RELEASE = "3.18.0"
NOT_SERVED = "not served"


def route(backend_store_uri: str, artifacts_destination: str | None, version: str) -> Route:
    """`GET /` answering the page for these settings, built once."""
    body = page(backend_store_uri, artifacts_destination, version)

    async def landing(request: Request) -> Response:
        return HTMLResponse(body)

    return Route("/", landing, methods=["GET"])


def page(backend_store_uri: str, artifacts_destination: str | None, version: str) -> str:
    backend = shown_uri(backend_store_uri)
    masked = " (with the password in place of <code>***</code>)" if "***" in backend else ""
    destination = NOT_SERVED if artifacts_destination is None else artifacts_destination
    command = ui_command(backend, artifacts_destination)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>trackstore {escape(version)}</title>
</head>
<body>
<h1>trackstore {escape(version)}</h1>
<p>The metadata store of an experiment tracker, serving MLflow {MLFLOW_RELEASE}'s REST API under
<code>/api/2.0/mlflow/</code>. Point MLflow's client here with
<code>mlflow.set_tracking_uri(...)</code> or <code>MLFLOW_TRACKING_URI</code>.</p>
<dl>
<dt>Version</dt><dd>{escape(version)}</dd>
<dt>Backend store</dt><dd><code>{escape(backend)}</code></dd>
<dt>Artifact destination</dt><dd><code>{escape(destination)}</code></dd>
</dl>
<p><a href="/health">/health</a> · <a href="/version">/version</a></p>
<h2>Browsing the data</h2>
<p>trackstore has no UI of its own. MLflow's UI reads the same database: run the matching
MLflow release, <code>pip install mlflow=={MLFLOW_RELEASE}</code>, then{masked}</p>
<pre><code>{escape(command)}</code></pre>
<p>and open the address it prints.</p>
</body>
</html>
"""


def shown_uri(uri: str) -> str:
    """`uri` as given, password masked: re-rendered from its parts, a SQLite path would come out
    percent-encoded, which the SQLAlchemy 2.0 under MLflow reads as another file name."""
    return mask_text(uri, parse_url(uri))


def ui_command(masked_backend: str, artifacts_destination: str | None) -> str:
    """The `mlflow server` command line that opens MLflow's UI over the same data."""
    words = ["mlflow", "server", "--backend-store-uri", masked_backend]
    if artifacts_destination is not None:
        words += ["--artifacts-destination", artifacts_destination]
    words += ["--port", "5001"]
    return shlex.join(words)
