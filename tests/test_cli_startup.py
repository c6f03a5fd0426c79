"""Commands that only read start without loading what they do not use.

`trackstore db current` should answer in a fraction of a second, and most of a second went to
importing Alembic, the store's ORM models and the server's libraries. Timing it here would test
the machine; instead the command runs in a fresh interpreter, which then lists the modules it
loaded, and none of the heavy ones may be among them.
"""

import json
import subprocess
import sys

from compat import make_engine
from migrations import runner
from store import models

# Packages a read of the recorded revision has no use for (the database's own driver aside).
NOT_NEEDED = (
    "alembic",
    "anyio",
    "boto3",
    "botocore",
    "opentelemetry",
    "sqlalchemy.orm",
    "starlette",
    "store.models",
    "store.server.app",
    "uvicorn",
)
RUN_AND_LIST = (
    "import json, sys\n"
    "from store.cli import main\n"
    "main(['db', 'current', sys.argv[1]], standalone_mode=False)\n"
    "print(json.dumps(sorted(sys.modules)))\n"
)


def test_db_current_loads_neither_alembic_nor_the_models_nor_the_server(backend: str) -> None:
    engine = make_engine(backend)
    try:
        runner.upgrade(engine, fresh=models.SERVED)
    finally:
        engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, backend],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    printed, modules = done.stdout.splitlines()
    assert printed.startswith(f"{models.REVISION} — ")
    loaded = [
        name
        for name in json.loads(modules)
        if any(name == heavy or name.startswith(f"{heavy}.") for heavy in NOT_NEEDED)
    ]
    assert loaded == []
