"""The page `trackstore server` answers at `/`: what it is, its settings, how to browse its data."""

import importlib.metadata
import re
import shlex
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from store.server.app import MLFLOW_API_VERSION, Settings
from store.server.artifact_flags import ArtifactServing
from store.server.landing import MLFLOW_RELEASE, shown_uri
from tests.app_client import app_client
from tests.live_server import LiveServer, free_port, start, trackstore_command

pytestmark = pytest.mark.backends("sqlite", "postgresql")
# Characters that must reach the page escaped; PostgreSQL's trust login ignores the password.
MARKUP = '<b>&"q"'
PASSWORD = f"s3cret{MARKUP}"


class Page(HTMLParser):
    """The page's text, its links, and the text of its <pre> block."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.pre = ""
        self.tags: list[str] = []
        self.in_pre = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.in_pre = self.in_pre or tag == "pre"
        self.links += [value for name, value in attrs if tag == "a" and name == "href" and value]

    def handle_endtag(self, tag: str) -> None:
        self.in_pre = self.in_pre and tag != "pre"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_pre:
            self.pre += data

    def joined(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def served_uri(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The backend under a URI holding markup: in the SQLite path, or as the password."""
    if backend.startswith("sqlite"):
        folder = tmp_path_factory.mktemp("landing") / MARKUP
        folder.mkdir()
        return f"sqlite:///{folder / 'store.db'}"
    return make_url(backend).set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def server(served_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    log = tmp_path_factory.mktemp("landing-log") / "server.log"
    # Without the artifact proxy (on by default), so that the page says none is served.
    root = tmp_path_factory.mktemp("landing-artifacts").as_uri()
    extra = ["--upgrade", "--no-serve-artifacts", "--default-artifact-root", root]
    command = trackstore_command(served_uri, port, 1, extra)
    live = start(command, port, log, timeout=120)
    yield live
    live.stop()


def fetch(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.headers["Content-Type"], answer.read().decode()


def test_page_is_html_without_script(server: LiveServer) -> None:
    content_type, html = fetch(server.url + "/")
    assert content_type == "text/html; charset=utf-8"
    page = Page(html)
    assert page.tags[0] == "html"
    assert "script" not in page.tags


def test_page_names_server_version_and_release(server: LiveServer) -> None:
    text = Page(fetch(server.url + "/")[1]).joined()
    version = importlib.metadata.version("trackstore")
    assert f"trackstore {version}" in text
    assert f"Version {version}" in text
    assert f"MLflow {MLFLOW_RELEASE}'s REST API" in text
    assert f"pip install mlflow=={MLFLOW_RELEASE}" in text


def test_links_lead_to_health_and_version(server: LiveServer) -> None:
    page = Page(fetch(server.url + "/")[1])
    assert page.links == ["/health", "/version"]
    answers = [fetch(server.url + link)[1] for link in page.links]
    assert answers == ["OK", MLFLOW_API_VERSION]


def test_backend_is_shown_escaped_with_password_masked(server: LiveServer, served_uri: str) -> None:
    html = fetch(server.url + "/")[1]
    text = Page(html).joined()
    assert f"Backend store {shown_uri(served_uri)}" in text
    assert MARKUP not in html
    url = make_url(served_uri)
    if url.password:
        assert "s3cret" not in html
        assert f"{url.username}:***@" in html
        assert "with the password in place of ***" in text
    else:
        assert "&lt;b&gt;&amp;&quot;q&quot;" in html
        assert "password" not in text


def test_without_destination_artifacts_are_not_served(server: LiveServer) -> None:
    page = Page(fetch(server.url + "/")[1])
    assert "Artifact destination not served" in page.joined()
    assert "--artifacts-destination" not in page.pre


def test_command_opens_mlflow_ui_on_the_same_database(server: LiveServer, served_uri: str) -> None:
    words = shlex.split(Page(fetch(server.url + "/")[1]).pre)
    assert words[:2] == ["mlflow", "server"]
    shown = words[words.index("--backend-store-uri") + 1]
    assert shown == re.sub(r":[^:@/]+@", ":***@", served_uri)


def test_destination_is_shown_escaped_and_in_the_command(backend: str, tmp_path: Path) -> None:
    destination = str(tmp_path / MARKUP)
    settings = Settings(backend, artifacts=ArtifactServing(destination=destination))
    with app_client(settings) as client:
        html = client.get("/").text
    page = Page(html)
    assert f"Artifact destination {destination}" in page.joined()
    assert MARKUP not in html
    words = shlex.split(page.pre)
    assert words[words.index("--artifacts-destination") + 1] == destination
