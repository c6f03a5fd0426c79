"""MLflow 3.18.0's UI, in a real browser, over a database that only trackstore wrote to.

The MLflow client logs a run with metric history, artifacts, a pyfunc model and a registered
version through `trackstore server`; then `mlflow server` opens the same database and folder and
Debian's chromium, driven by Playwright, reads the run, its chart and artifacts, and the model
version. `mlflow server` is started with the command trackstore's page at / shows. Artifacts go
straight to a local folder (trackstore's file:// default artifact root), where MLflow's server
finds them from the recorded URIs, so the test needs no artifact endpoints from trackstore.
Screenshots land in tests/.artifacts/ for CI to keep.
"""

import re
import shlex
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveServer, free_port, mlflow_command, start, trackstore_command

mlflow = pytest.importorskip("mlflow", minversion="3.18")

pytestmark = [pytest.mark.mlflow_compat, pytest.mark.backends("sqlite", "postgresql")]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / ".artifacts"
# The UI is a React app; on a loaded two-core machine its first render takes many seconds.
WAIT_MS = 60_000
RUN_NAME = "ui-check-run"
METRIC = "validation_loss"
STEPS = [0.9, 0.7, 0.55, 0.4, 0.33]
ARTIFACT_FILES = ("notes.txt", "summary.json")
NOTES = "trackstore wrote this run"
MODEL_NAME = "ui-check-model"


@dataclass
class Logged:
    """What the client logged through trackstore, to look for in the UI."""

    experiment_id: str
    run_id: str
    model_id: str
    version: str


def chromium_or_skip() -> Any:
    """Playwright's sync API, or a skip that says what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        pytest.skip("playwright is not installed; pip install playwright")
    return sync_api


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-artifacts")


@pytest.fixture(scope="module")
def trackstore(
    backend: str, artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    port = free_port()
    extra = ["--upgrade", "--default-artifact-root", artifacts.as_uri()]
    log = tmp_path_factory.mktemp("ui-trackstore") / "trackstore.log"
    server = start(trackstore_command(backend, port, 1, extra), port, log, timeout=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def logged(trackstore: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
        environment.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        mlflow.set_tracking_uri(trackstore.url)
        try:
            yield log_through_trackstore(tmp_path_factory.mktemp("ui-model") / "factor.txt")
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()


class Doubler(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def load_context(self, context: Any) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())

    def predict(self, context: Any, model_input: list[float]) -> list[float]:
        return [value * self.factor for value in model_input]


def log_through_trackstore(factor: Path) -> Logged:
    """A run with metric history, two artifacts and a pyfunc model registered as version 1."""
    experiment_id = mlflow.create_experiment("ui-check")
    with mlflow.start_run(experiment_id=experiment_id, run_name=RUN_NAME) as run:
        mlflow.log_param("learning_rate", "0.01")
        for step, value in enumerate(STEPS):
            mlflow.log_metric(METRIC, value, step=step)
        mlflow.log_text(NOTES, ARTIFACT_FILES[0])
        mlflow.log_dict({"best": min(STEPS)}, ARTIFACT_FILES[1])
        factor.write_text("2")
        info = mlflow.pyfunc.log_model(
            name="doubler",
            python_model=Doubler(),
            artifacts={"factor": str(factor)},
            pip_requirements=[f"mlflow=={mlflow.__version__}"],
            registered_model_name=MODEL_NAME,
        )
    assert mlflow.pyfunc.load_model(info.model_uri).predict([1.5]) == [3.0]
    version = str(info.registered_model_version)
    return Logged(experiment_id, run.info.run_id, info.model_id, version)


@pytest.fixture(scope="module")
def mlflow_ui(
    trackstore: LiveServer, logged: Logged, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`mlflow server` 3.18.0 started as trackstore's page at / says, after the logging: on the
    database it names; the artifacts are found from the URIs the runs and models recorded."""
    words = landing_command(trackstore)
    assert words[:2] == ["mlflow", "server"]
    uri = words[words.index("--backend-store-uri") + 1]
    port = free_port()
    log = tmp_path_factory.mktemp("ui-mlflow") / "mlflow.log"
    server = start(mlflow_command(uri, port, 1), port, log, timeout=180)
    yield server
    server.stop()


def landing_command(trackstore: LiveServer) -> list[str]:
    """The words of the `mlflow server` command on trackstore's page at /."""
    with urllib.request.urlopen(trackstore.url + "/", timeout=30) as answer:
        html = answer.read().decode()
    block = re.search(r"<pre><code>(.*?)</code></pre>", html, re.DOTALL)
    assert block is not None, html
    return shlex.split(unescape(block.group(1)))


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def screenshot(page: Any, backend: str, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    dialect = backend.split(":", 1)[0].split("+", 1)[0]
    page.screenshot(path=str(SCREENSHOTS / f"mlflow-ui-{dialect}-{name}.png"), full_page=True)


def visible(page: Any, text: str) -> None:
    page.get_by_text(text, exact=True).first.wait_for(state="visible")


def test_run_page_shows_run_and_metric(
    page: Any, mlflow_ui: LiveServer, logged: Logged, backend: str
) -> None:
    page.goto(f"{mlflow_ui.url}/#/experiments/{logged.experiment_id}/runs/{logged.run_id}")
    visible(page, RUN_NAME)
    visible(page, METRIC)
    visible(page, str(STEPS[-1]))
    visible(page, "learning_rate")
    page.get_by_role("link", name=MODEL_NAME).first.wait_for(state="visible")
    screenshot(page, backend, "run")


def test_run_metric_chart_is_drawn(
    page: Any, mlflow_ui: LiveServer, logged: Logged, backend: str
) -> None:
    base = f"{mlflow_ui.url}/#/experiments/{logged.experiment_id}/runs/{logged.run_id}"
    page.goto(f"{base}/model-metrics")
    visible(page, METRIC)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(state="visible")
    chart.locator(".scatterlayer .trace").first.wait_for(state="attached")
    screenshot(page, backend, "metric-chart")


def test_run_artifacts_are_listed_and_shown(
    page: Any, mlflow_ui: LiveServer, logged: Logged, backend: str
) -> None:
    base = f"{mlflow_ui.url}/#/experiments/{logged.experiment_id}/runs/{logged.run_id}"
    page.goto(f"{base}/artifacts")
    for name in ARTIFACT_FILES:
        visible(page, name)
    page.get_by_text(ARTIFACT_FILES[0], exact=True).first.click()
    visible(page, NOTES)
    screenshot(page, backend, "artifacts")


def test_model_version_page(page: Any, mlflow_ui: LiveServer, logged: Logged, backend: str) -> None:
    page.goto(f"{mlflow_ui.url}/#/models/{MODEL_NAME}/versions/{logged.version}")
    visible(page, f"Version {logged.version}")
    page.get_by_text(MODEL_NAME).first.wait_for(state="visible")
    page.get_by_text(RUN_NAME).first.wait_for(state="visible")
    screenshot(page, backend, "model-version")


def test_logged_model_artifacts_are_listed(
    page: Any, mlflow_ui: LiveServer, logged: Logged, backend: str
) -> None:
    page.goto(
        f"{mlflow_ui.url}/#/experiments/{logged.experiment_id}/models/{logged.model_id}/artifacts"
    )
    for name in ("MLmodel", "python_model.pkl", "artifacts"):
        visible(page, name)
    screenshot(page, backend, "model-artifacts")


def test_trackstore_landing_page(page: Any, trackstore: LiveServer, backend: str) -> None:
    page.goto(trackstore.url + "/")
    page.get_by_role("heading", name="Browsing the data").wait_for(state="visible")
    page.get_by_text("mlflow server --backend-store-uri").wait_for(state="visible")
    page.get_by_role("link", name="/health").click()
    page.get_by_text("OK", exact=True).wait_for(state="visible")
    page.go_back()
    screenshot(page, backend, "trackstore-landing")
