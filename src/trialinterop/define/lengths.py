"""Define-XML Length and SignificantDigits taken from the values actually written.

Both are maxima over the values, so they are computed over the distinct values whenever deduplicating cannot merge
values that print differently (a 10,000-subject QS column has 840,000 values but a few dozen distinct ones).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd


def _present(values: Iterable[object]) -> list[object]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v)) and v != ""]


def _number_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.15g}"


def value_length(values: Iterable[object], data_type: str) -> tuple[int | None, int | None]:
    """(Length, SignificantDigits): bytes for text, digits for integer/float; None for date/time types."""
    present = _present(_distinct(values, numeric=data_type in ("integer", "float")))
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


def _distinct(values: Iterable[object], *, numeric: bool) -> Iterable[object]:
    """The distinct values, when that changes no result: for numbers equal values give the same digits (1, 1.0 and
    True all print as 1); for text only when every value is a str (1 and 1.0 are equal but differ as text)."""
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype=object)
    elif isinstance(values, list | tuple):
        array = np.array(values, dtype=object) if values else np.array([], dtype=object)
    else:
        return values
    try:
        if numeric or pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty"):
            return pd.unique(array).tolist()
    except TypeError:  # unhashable values
        pass
    return values
