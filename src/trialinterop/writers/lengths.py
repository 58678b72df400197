"""Variable lengths as written: the longest value in UTF-8 bytes (at least 1), as XPORT stores them (SD1082)."""

from __future__ import annotations

import pandas as pd


def char_length(series: pd.Series) -> int:
    lengths = [len(v.encode("utf-8")) for v in series if isinstance(v, str)]
    return max([1, *lengths])


def observed_lengths(frame: pd.DataFrame) -> dict[str, int]:
    """Length per text column (numeric columns are 8-byte floats and have no length here)."""
    return {str(c): char_length(frame[c]) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
