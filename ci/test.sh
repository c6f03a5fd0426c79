#!/usr/bin/env bash
# The whole test run: local databases ready, then lint, types, every backend and the MLflow
# 3.1.4 compatibility suite through tox. Extra arguments go to tox (e.g. -e sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash ci/local-databases.sh)"
if [ ! -x .tox-runner/bin/tox ]; then
    python3 -m venv .tox-runner
    .tox-runner/bin/pip install --quiet "tox>=4.11,<5"
fi
exec .tox-runner/bin/tox "${@:--p}"
