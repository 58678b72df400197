#!/usr/bin/env bash
# Refresh constraints.txt, the lock scripts/test.sh installs with: every dependency and test extra of pyproject.toml
# at the newest release it allows, resolved once for every platform and Python 3.11+ (uv's universal resolution).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet "uv==0.13.9"
"$tools/bin/uv" pip compile pyproject.toml --extra test --extra spark --universal --python-version 3.11 --upgrade \
  --no-header --quiet -o "$tools/body.txt"
{
  echo "# Lock for scripts/test.sh and CI: pip install -c constraints.txt -e \".[test,spark]\"."
  echo "# Refresh (newest releases pyproject.toml allows): bash scripts/lock.sh"
  echo "# which runs: uv pip compile pyproject.toml --extra test --extra spark --universal --python-version 3.11 --upgrade"
  cat "$tools/body.txt"
} > constraints.txt
