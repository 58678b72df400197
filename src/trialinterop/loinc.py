"""The LOINC table for findings tests, `mappings/loinc.csv` (documented in docs/loinc.md).

One row per (domain, --TESTCD, specimen): the LOINC code, its long common name, the UCUM unit of the result the code
describes, and where the code comes from. `load_loinc_table()` checks every row (a well-formed code with a valid
check digit, a source, no duplicate key) and gives both directions: test -> code, and code -> (domain, testcd).

The LOINC check digit (the "Mod 10" algorithm LOINC publishes, the same as Luhn's) is six lines here rather than
a dependency.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trialinterop.errors import SpecError
from trialinterop.resources import mappings_dir

COLUMNS = ("domain", "testcd", "specimen", "loinc", "loinc_display", "ucum_unit", "source")
LOINC_PATTERN = re.compile(r"(\d{1,7})-(\d)")


def loinc_check_digit(number: str) -> int:
    """The check digit of a LOINC code's number part ("8480" -> 6): from the right, every other digit doubled
    (digits of the product summed), all summed; the digit that brings the sum to a multiple of 10."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10


def is_valid_loinc(code: str) -> bool:
    """True for "8480-6": digits, a hyphen, the right check digit."""
    match = LOINC_PATTERN.fullmatch(code)
    return match is not None and loinc_check_digit(match.group(1)) == int(match.group(2))


@dataclass(frozen=True, slots=True)
class LoincEntry:
    domain: str
    testcd: str
    specimen: str  # CDISC SPECTYPE submission value ("SERUM OR PLASMA", "BLOOD", "URINE"); "" for vital signs
    code: str
    display: str
    unit: str  # UCUM; "" for ordinal and nominal results
    source: str


@dataclass(frozen=True)
class LoincTable:
    entries: tuple[LoincEntry, ...]
    by_test: dict[tuple[str, str, str], LoincEntry]
    by_code: dict[str, tuple[str, str]]

    def lookup(self, domain: str, testcd: str, specimen: str | None = None) -> LoincEntry | None:
        """The entry for a test; without a specimen (the pilot has no LBSPEC), the test's only entry if it has one."""
        if specimen:
            return self.by_test.get((domain, testcd, specimen))
        found = [e for e in self.entries if e.domain == domain and e.testcd == testcd]
        return found[0] if len(found) == 1 else None


def load_loinc_table(path: Path | None = None) -> LoincTable:
    return _load(str(path or mappings_dir() / "loinc.csv"))


@cache
def _load(path_text: str) -> LoincTable:
    path = Path(path_text)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise SpecError(f"{path}: columns must be {','.join(COLUMNS)}")
            rows = list(reader)
    except OSError as exc:
        raise SpecError(f"LOINC table missing: {path} ({exc.strerror})") from None
    entries: list[LoincEntry] = []
    by_test: dict[tuple[str, str, str], LoincEntry] = {}
    by_code: dict[str, tuple[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        entry = LoincEntry(*(str(row.get(c) or "").strip() for c in COLUMNS))
        where = f"{path} line {line}"
        if not (entry.domain and entry.testcd and entry.display and entry.source):
            raise SpecError(f"{where}: domain, testcd, loinc_display and source are required")
        if not is_valid_loinc(entry.code):
            raise SpecError(f"{where}: {entry.code!r} is not a LOINC code with a valid check digit")
        key = (entry.domain, entry.testcd, entry.specimen)
        if key in by_test:
            raise SpecError(f"{where}: {'/'.join(key)} is listed twice")
        if by_code.get(entry.code, key[:2]) != key[:2]:
            raise SpecError(f"{where}: {entry.code} already names {'/'.join(by_code[entry.code])}")
        entries.append(entry)
        by_test[key] = entry
        by_code[entry.code] = key[:2]
    return LoincTable(tuple(entries), by_test, by_code)
