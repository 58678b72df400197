"""No trial fact in src/: the bundled studies' facts live in their definitions (mappings/studies/) and mappings/.

Greps every source and data file of the package for the facts of NCT05016804 (the first bundled study): its id,
product (AlloRx), instrument (mRSS), background drug and procedure, sponsor domain and site countries as codes.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "trialinterop"
FACTS = re.compile(r"nct05016804|allorx|mrss|methotrexate|apheresis|fomr\.example|[\"'](?:ATG|ARG)[\"']", re.IGNORECASE)


def _hits() -> list[str]:
    hits = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in {".py", ".json", ".yaml", ".csv", ".txt"} or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if FACTS.search(line):
                hits.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return hits


def test_the_pattern_finds_the_facts() -> None:
    for line in ('code = "ALLORX"', "MRSS_AREAS = ()", "base = 'https://fomr.example.org/fhir'", 'COUNTRY = "ATG"'):
        assert FACTS.search(line), line
    for line in ("allocation = 'RANDOMIZED'", "arguments", "ARGS = 1", "PARGS"):
        assert not FACTS.search(line), line


def test_no_trial_fact_in_src() -> None:
    assert _hits() == []
