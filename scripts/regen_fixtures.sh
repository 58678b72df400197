#!/usr/bin/env bash
# Regenerate the bundled fixtures after a change to the generator or the NCT05016804 definition, in dependency order:
# fixtures/records (`trialinterop fixtures`, default study and seed), fixtures/odm (the ODM writer on those records)
# and tests/golden/sdtm (the SDTM package built from them). Review `git diff` before committing the result.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
rm -rf fixtures/records
"$BIN/trialinterop" fixtures -o fixtures/records
"$BIN/python" - <<'PY'
from trialinterop.odm.writer import write_odm
from trialinterop.source.reader import read_records

write_odm(read_records("fixtures/records"), "mappings/odm/nct05016804.yaml", "fixtures/odm/nct05016804-odm.xml")
PY
TRIALINTEROP_REGEN_GOLDEN=1 "$BIN/python" -m pytest -q -p no:cacheprovider tests/test_sdtm_fixtures.py
