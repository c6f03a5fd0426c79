#!/usr/bin/env bash
# The whole test run: local databases ready, then lint, types, every backend and the two MLflow
# suites (mlflow-compat: the database against MLflow 3.18.0's; mlflow-314: MLflow 3.1.4's client
# and server beside trackstore's) through tox, tox.ini's env_list in parallel. Extra arguments go
# to tox (e.g. -e sqlite). At the end, ci/summary.py prints per environment what passed, failed
# and was skipped (with the reasons), whatever tox's outcome; the script exits with tox's status.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash ci/local-databases.sh)"
if [ ! -x .tox-runner/bin/tox ]; then
    python3 -m venv .tox-runner
    .tox-runner/bin/pip install --quiet "tox>=4.11,<5"
fi
rm -rf .test-reports
mkdir -p .test-reports
status=0
.tox-runner/bin/tox --result-json .test-reports/tox.json "${@:--p}" || status=$?
python3 ci/summary.py .test-reports || echo "ci/summary.py could not read the reports" >&2
exit "$status"
