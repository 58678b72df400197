"""Define-XML Length and SignificantDigits taken from the values actually written."""

from __future__ import annotations

import math
from collections.abc import Iterable


def _present(values: Iterable[object]) -> list[object]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v)) and v != ""]


def _number_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.15g}"


def value_length(values: Iterable[object], data_type: str) -> tuple[int | None, int | None]:
    """(Length, SignificantDigits): bytes for text, digits for integer/float; None for date/time types."""
    present = _present(values)
    if data_type == "text":
        return max([1, *(len(str(v).encode("utf-8")) for v in present)]), None
    if data_type not in ("integer", "float"):
        return None, None
    texts = [_number_text(v) for v in present]
    digits = max([1, *(sum(c.isdigit() for c in t) for t in texts)])
    if data_type == "integer":
        return digits, None
    decimals = max([0, *(len(t.split(".", 1)[1]) if "." in t and "e" not in t.lower() else 0 for t in texts)])
    return digits, decimals
