"""Cell text -> typed value for each field type of the records schema, with the reason when a cell is bad.

Speed: a field's converter is built once with its settings bound (`cell_converter`, shared by every field that
converts alike), and `CellCache` remembers the texts already converted, so most cells of a large folder cost one
dict lookup. Numbers keep the exact test of the schema (the `_NUMBER` pattern, then `float`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

from trialinterop.iso8601 import parse_dtc
from trialinterop.source.schema import FieldSpec

CACHE_LIMIT = 1 << 18


class CellCache(dict):
    """Raw cell text -> converted value for one converter; a miss converts (ValueError for a bad cell, never stored).

    Bounded: after `CACHE_LIMIT` distinct texts, new ones are converted but not kept."""

    __slots__ = ("convert",)

    def __init__(self, convert: Callable[[str], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: str) -> Any:
        value = self.convert(text)
        if len(self) < CACHE_LIMIT:
            self[text] = value
        return value


def convert_cell(text: str, spec: FieldSpec) -> Any:
    """Text cell -> typed value or None; ValueError with a reader-facing reason."""
    return cell_converter(spec)(text)


@cache
def cell_converter(spec: FieldSpec) -> Callable[[str], Any]:
    """The cell converter of a field, shared by all fields that convert alike (whatever their name and description)."""
    return _build_converter(replace(spec, name="", description=""))


@cache
def _build_converter(spec: FieldSpec) -> Callable[[str], Any]:
    """Strip; empty -> None (or an error if required); else the check of the type, its settings bound once."""
    check = _CHECKS.get(spec.type, _unknown_type)(spec)
    required = spec.required

    def convert(text: str) -> Any:
        text = text.strip()
        if text == "":
            if required:
                raise ValueError("required value is empty")
            return None
        return check(text)

    return convert


def _string_check(spec: FieldSpec) -> Callable[[str], str]:
    allowed = frozenset(spec.enum) if spec.enum is not None else None
    enum_reason = f"must be one of {', '.join(spec.enum or ())}"
    pattern = re.compile(spec.pattern) if spec.pattern else None
    pattern_reason = f"does not match the pattern {spec.pattern}"

    def check(text: str) -> str:
        if allowed is not None and text not in allowed:
            raise ValueError(enum_reason)
        if pattern is not None and not pattern.match(text):
            raise ValueError(pattern_reason)
        return text

    return check


def _list_check(spec: FieldSpec) -> Callable[[str], tuple[str, ...]]:
    allowed = frozenset(spec.items) if spec.items is not None else None
    listed = ", ".join(spec.items or ())

    def check(text: str) -> tuple[str, ...]:
        items = tuple(part.strip() for part in text.split("|"))
        if allowed is not None:
            for item in items:
                if item not in allowed:
                    raise ValueError(f"{item!r} must be one of {listed}")
        return items

    return check


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number_check(spec: FieldSpec) -> Callable[[str], float | int]:
    integer = spec.type == "integer"
    not_number = f"not a {spec.type}"
    minimum, maximum = spec.minimum, spec.maximum

    def check(text: str) -> float | int:
        if not _NUMBER.match(text):
            raise ValueError(not_number)
        value = float(text)
        number: float | int = value
        if integer:
            if not value.is_integer():
                raise ValueError("not an integer")
            number = int(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"below the minimum {minimum:g}")
        if maximum is not None and number > maximum:
            raise ValueError(f"above the maximum {maximum:g}")
        return number

    return check


def _date_check(spec: FieldSpec) -> Callable[[str], str]:
    date_only, complete = spec.type == "date", spec.complete

    def check(text: str) -> str:
        parsed = parse_dtc(text)  # ValueError names the problem
        if date_only and "T" in text:
            raise ValueError("a date is expected, not a date/time")
        if complete and not parsed.is_complete_date:
            raise ValueError("a complete date (YYYY-MM-DD) is required")
        return text

    return check


def _unknown_type(spec: FieldSpec) -> Callable[[str], Any]:
    reason = f"unknown type {spec.type} in schema"

    def check(text: str) -> Any:
        raise ValueError(reason)

    return check


_CHECKS: dict[str, Callable[[FieldSpec], Callable[[str], Any]]] = {
    "string": _string_check,
    "list": _list_check,
    "integer": _number_check,
    "number": _number_check,
    "date": _date_check,
    "datetime": _date_check,
}
