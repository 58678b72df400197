"""Numbers as text, one way everywhere: a whole number without ".0", any other number in its shortest form that
reads back as the same double (Python's repr), so 100.0 -> "100" and 2.91 -> "2.91" (never "2.9100000000000001").

Used for SDTM result text (--ORRES, TSVAL), ODM values, conform's messages and define.xml lengths.
"""

from __future__ import annotations

import math
from typing import Any


def format_number(number: float, *, digits: int | None = None) -> str:
    """`number` as text: "100" for 100.0; otherwise repr (shortest round trip), or at most `digits` significant
    digits when given (define.xml counts the digits of a value to 15, the digits a double always holds exactly)."""
    number = float(number)  # a numpy scalar's repr would name its type
    if number.is_integer():
        return str(int(number))
    return repr(number) if digits is None else f"{number:.{digits}g}"


def number_text(value: Any) -> str | None:
    """A collected number as result text: 100.0 -> "100", 2.91 -> "2.91", "7" -> "7"; None and NaN stay None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return format_number(float(value))
