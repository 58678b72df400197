"""Variable lengths as written: the longest value in UTF-8 bytes (at least 1), as XPORT stores them (SD1082)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from trialinterop.text_columns import is_categorical, text_codes


def char_length(series: pd.Series, distinct: Collection[object] | None = None) -> int:
    """Equal strings have equal lengths, so only the distinct values are measured (a set, or `distinct` when the
    caller has it: Python caches string hashes); ASCII text (the usual case) is measured in characters."""
    values: Collection[object]
    if distinct is not None:
        values = distinct
    elif is_categorical(series):
        values = text_codes(series)[1].tolist()
    else:
        try:
            values = set(series.to_numpy(dtype=object))
        except TypeError:  # unhashable values
            values = list(series)
    return max_bytes(v for v in values if isinstance(v, str))


def max_bytes(texts: Iterable[str]) -> int:
    """The longest of `texts` in UTF-8 bytes, at least 1 (no texts: 1); ASCII text is measured in characters."""
    texts = list(texts)
    if "".join(texts).isascii():
        return max(1, max(map(len, texts), default=0))
    return max([1, *(len(v.encode("utf-8")) for v in texts)])


def observed_lengths(frame: pd.DataFrame) -> dict[str, int]:
    """Length per text column (numeric columns are 8-byte floats and have no length here)."""
    return {str(c): char_length(frame[c]) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
