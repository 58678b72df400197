#!/usr/bin/env bash
# The test command (README and .ci/run): installs what the tests need into .venv, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
if [ -f tests/fhir_node/package-lock.json ] && command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/fhir_node --no-audit --no-fund --loglevel=error
fi
.venv/bin/ruff check src tests
.venv/bin/python -m pytest "$@"
