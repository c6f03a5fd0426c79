"""The release table against the MLflow installed as the reference: its own revision scripts end
where the table says that release ends (3.18.0 here, 3.1.4 in the old reference)."""

import importlib.metadata
import importlib.util
from pathlib import Path

from migrations import releases
from tests.test_releases import script


def test_the_installed_mlflow_ends_where_the_table_says() -> None:
    spec = importlib.util.find_spec("mlflow")
    assert spec is not None and spec.submodule_search_locations is not None
    folder = Path(next(iter(spec.submodule_search_locations))) / "store/db_migrations/versions"
    scripts = [path for path in folder.glob("*.py") if path.name != "__init__.py"]
    links = dict(script.script_links(path.read_text()) for path in scripts)
    version = importlib.metadata.version("mlflow")
    assert releases.release_head(f"mlflow-{version}") == script.head_of(links)
