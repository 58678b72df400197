"""Reading and rewriting the CSV tables of a records folder in tests (header = row 1, as the reader counts)."""

from __future__ import annotations

import csv
from pathlib import Path


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def save_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
