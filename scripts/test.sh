#!/usr/bin/env bash
# The test command (README and .ci/run): installs what the tests need, then runs ruff and the whole suite.
#   bash scripts/test.sh [PYTEST ARGS]           .venv, dependencies pinned by constraints.txt (the lock)
#   bash scripts/test.sh --latest [PYTEST ARGS]  .venv-latest, the newest releases pyproject.toml allows
# Hypothesis runs its derandomised "ci" profile (tests/conftest.py) unless HYPOTHESIS_PROFILE says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ "${1:-}" = "--latest" ]; then
  shift
  VENV=.venv-latest
  INSTALL=(--upgrade --upgrade-strategy eager)
  export TRIALINTEROP_TEST_DEPS=latest
else
  VENV=.venv
  INSTALL=(--constraint constraints.txt)
  export TRIALINTEROP_TEST_DEPS=locked
fi
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "${INSTALL[@]}" -e ".[test,spark]"
if [ -f tests/fhir_node/package-lock.json ] && command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/fhir_node --no-audit --no-fund --loglevel=error
fi
"$VENV/bin/ruff" check src tests
"$VENV/bin/mypy"  # src/, configured in pyproject.toml [tool.mypy]
"$VENV/bin/python" -m pytest "$@"
