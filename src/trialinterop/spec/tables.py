"""Strict CSV reading for the specification: exact header, every row stamped with its file:line."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from trialinterop.errors import SpecError

NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


def read_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (`file:line`, row) with values stripped; SpecError when the header is not exactly `columns`."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise SpecError(f"{path}: cannot read ({error.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise SpecError(f"{path}:1: file is empty")
        unknown = [c for c in header if c not in columns]
        missing = [c for c in columns if c not in header]
        if unknown or missing or tuple(header) != columns:
            raise SpecError(
                f"{path}:1: columns must be {', '.join(columns)}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                + (f"; missing: {', '.join(missing)}" if missing else "")
            )
        for line, values in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                raise SpecError(f"{where}: expected {len(columns)} fields, found {len(values)}")
            yield where, {c: v.strip() for c, v in zip(columns, values, strict=True)}


def require_name(where: str, what: str, value: str) -> str:
    """SAS v5 / SDTM name: 1-8 characters, upper-case letters and digits, starting with a letter."""
    if not NAME_PATTERN.match(value):
        raise SpecError(f"{where}: {what} {value!r} must be 1-8 upper-case letters/digits starting with a letter")
    return value


def require_label(where: str, what: str, value: str, *, limit: int = 40) -> str:
    if not value:
        raise SpecError(f"{where}: {what} is empty")
    if not value.isascii():
        raise SpecError(f"{where}: {what} {value!r} must be ASCII")
    if len(value) > limit:
        raise SpecError(f"{where}: {what} {value!r} is {len(value)} characters (at most {limit})")
    return value


def require_choice(where: str, what: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SpecError(f"{where}: {what} {value!r} must be one of {', '.join(allowed)}")
    return value


def require_yes_no(where: str, what: str, value: str) -> bool:
    return require_choice(where, what, value, ("Yes", "No")) == "Yes"


def parse_int(where: str, what: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SpecError(f"{where}: {what} {value!r} is not an integer") from None


def parse_float(where: str, what: str, value: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise SpecError(f"{where}: {what} {value!r} is not a number") from None
