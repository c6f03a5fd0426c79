#!/usr/bin/env bash
# The migration test matrix for one database, as CI runs it and as anyone can run it locally:
#   bash ci/migration-matrix.sh sqlite|postgresql|mysql|mssql
# It runs the backend's test suite (the chain, the lock, plans, backups, checks, the runbook and
# the store), then the comparisons with MLflow 3.18.0's database (mlflow-compat) and with MLflow
# 3.1.4's client and server (mlflow-314) on that backend, all through tox.
# The server comes from TRACKSTORE_TEST_<BACKEND>_URL; for postgresql and mysql left unset,
# ci/local-databases.sh starts the local servers and provides it. A backend with no server is
# an error here, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-}
case "$backend" in
    sqlite | postgresql | mysql | mssql) ;;
    *)
        echo "usage: bash ci/migration-matrix.sh sqlite|postgresql|mysql|mssql" >&2
        exit 2
        ;;
esac

variable="TRACKSTORE_TEST_${backend^^}_URL"
if [ "$backend" != sqlite ] && [ -z "${!variable:-}" ]; then
    if [ "$backend" = mssql ]; then
        echo "error: set $variable to a SQL Server (for example mssql+pyodbc://sa:PASSWORD@127.0.0.1:1433/master)." >&2
        exit 2
    fi
    eval "$(bash ci/local-databases.sh)"
fi

if [ ! -x .tox-runner/bin/tox ]; then
    python3 -m venv .tox-runner
    .tox-runner/bin/pip install --quiet "tox>=4.11,<5"
fi
.tox-runner/bin/tox -e "$backend"
.tox-runner/bin/tox -e mlflow-compat -- --backend "$backend"
.tox-runner/bin/tox -e mlflow-314 -- --backend "$backend"
