"""The one shape of an input problem: file, row (header = row 1) or JSON pointer, field, reason, value."""

from __future__ import annotations

from trialinterop.issues import Issue, Severity


def input_problem(file: str, row: int | str, field: str, message: str, value: str = "") -> Issue:
    key = f"row {row}" if isinstance(row, int) else row
    return Issue("INPUT", Severity.ERROR, message, where=file, key=key, field=field, value=value)
