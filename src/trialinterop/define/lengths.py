"""Define-XML Length and SignificantDigits taken from the values actually written.

Both are maxima over the values, so they are computed over the distinct values whenever deduplicating cannot merge
values that print differently (a 10,000-subject QS column has 840,000 values but a few dozen distinct ones).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeGuard

import numpy as np
import pandas as pd

from trialinterop.number_text import format_number
from trialinterop.text_columns import is_categorical, text_codes
from trialinterop.writers.lengths import max_bytes


def _present(values: Iterable[object]) -> list[object]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v)) and v != ""]


def _all_text(values: list[object]) -> TypeGuard[list[str]]:
    """Every value is a str (pandas infers "string" with missing values not skipped)."""
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def _number_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return format_number(float(value), digits=15)  # type: ignore[arg-type]  # a present value of a numeric column


def value_length(values: Iterable[object], data_type: str) -> tuple[int | None, int | None]:
    """(Length, SignificantDigits): bytes for text, digits for integer/float; None for date/time types."""
    if data_type not in ("text", "integer", "float"):
        return None, None  # decided by the type alone: the values are not looked at
    present = _present(_distinct(values, numeric=data_type in ("integer", "float")))
    if data_type == "text":
        return max_bytes(present if _all_text(present) else map(str, present)), None
    texts = [_number_text(v) for v in present]
    digits = max([1, *(sum(c.isdigit() for c in t) for t in texts)])
    if data_type == "integer":
        return digits, None
    decimals = max([0, *(len(t.split(".", 1)[1]) if "." in t and "e" not in t.lower() else 0 for t in texts)])
    return digits, decimals


def _distinct(values: Iterable[object], *, numeric: bool) -> Iterable[object]:
    """The distinct values, when that changes no result: for numbers equal values give the same digits (1, 1.0 and
    True all print as 1); for text only when every value is a str (1 and 1.0 are equal but differ as text).

    A set keeps the first of equal values, as pandas.unique does, at about twice its speed (Python caches string
    hashes); a numeric numpy column is made distinct before any value becomes a Python object."""
    if isinstance(values, pd.Series) and is_categorical(values):
        return text_codes(values)[1].tolist()  # the categories some row uses: distinct, never null
    if isinstance(values, pd.Series):
        if numeric and values.dtype.kind in "iuf" and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            return pd.unique(values.to_numpy()).tolist()
        array = values.to_numpy(dtype=object)
    elif isinstance(values, list | tuple):
        array = np.array(values, dtype=object) if values else np.array([], dtype=object)
    else:
        return values
    try:
        distinct = list(set(array))
    except TypeError:  # unhashable values
        return values
    if numeric or pd.api.types.infer_dtype(distinct, skipna=True) in ("string", "empty"):
        return distinct  # the same types as the whole column: str never equals a value of another type
    return values
