"""ISO 8601 --DTC columns as numbers: each distinct text is parsed once (`iso8601.dtc_fields`), then comparisons at
the precision two values share and study days run over whole columns with numpy.

A value becomes `key` = YYYYMMDDhhmmss as one integer (unknown components 0), `known` = how many components are
known (0 = missing or empty, 1 = year ... 6 = seconds) and `day` = its day number when the date is complete.
Comparing two values at their shared precision (`iso8601.compare_dtc`) is then comparing their keys cut to the
shorter precision. A package repeats a few thousand dates on a million rows, so the per-row work is integer
arithmetic. The scalar functions in `iso8601` stay the reference; tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.iso8601 import dtc_fields

_WIDTHS = (0, 4, 6, 8, 10, 12, 14)  # digits of the key known at each precision
_DIVISORS = np.array([10 ** (14 - w) for w in _WIDTHS], dtype=np.int64)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
"""Day 0 of `DtcColumn.day` as a proleptic Gregorian ordinal."""


@dataclass(frozen=True)
class DtcColumn:
    key: np.ndarray  # int64
    known: np.ndarray  # int8, 0..6
    day: np.ndarray  # int64 day number (1970-01-01 = 0); meaningful where known >= 3

    @property
    def present(self) -> np.ndarray:
        return self.known > 0

    @property
    def complete_date(self) -> np.ndarray:
        return self.known >= 3

    def take(self, positions: np.ndarray) -> DtcColumn:
        return DtcColumn(self.key[positions], self.known[positions], self.day[positions])


def _encode(text: Any) -> tuple[int, int, int]:
    if not isinstance(text, str) or not text:
        return 0, 0, 0
    return _encode_text(text)


@lru_cache(maxsize=1 << 18)
def _encode_text(text: str) -> tuple[int, int, int]:
    """(key, known, day) of a valid ISO 8601 text (memoised: subject-level dates recur in every domain)."""
    year, month, day, hour, minute, second = fields = dtc_fields(text)
    known = fields.index(None) if None in fields else 6
    key = ((((year * 100 + (month or 0)) * 100 + (day or 0)) * 100 + (hour or 0)) * 100 + (minute or 0)) * 100
    number = date(year, month, day).toordinal() - EPOCH_ORDINAL if month is not None and day is not None else 0
    return key + (second or 0), known, number


def dtc_column(values: Sequence[Any] | np.ndarray | pd.Series) -> DtcColumn:
    """Encode a column of ISO 8601 texts (missing, None or "" -> known 0); ValueError for a text that is not ISO."""
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series | np.ndarray) else np.asarray(values, object))
    encoded = [_encode(u) for u in list(uniques)] + [(0, 0, 0)]  # the last slot is for missing values (code -1)
    table = np.array(encoded, dtype=np.int64).reshape(-1, 3)
    rows = table[np.asarray(codes, dtype=np.int64)]
    return DtcColumn(rows[:, 0].copy(), rows[:, 1].astype(np.int8), rows[:, 2].copy())


def compare(a: DtcColumn, b: DtcColumn) -> np.ndarray:
    """-1/0/1 per row at the precision both values share (0 where one is missing: check `present`)."""
    divisor = _DIVISORS[np.minimum(a.known, b.known)]
    return np.sign(a.key // divisor - b.key // divisor).astype(np.int8)


def study_days(dates: DtcColumn, references: DtcColumn) -> pd.arrays.IntegerArray:
    """SDTMIG 4.4.4 study day per row (no day 0); missing unless both dates are complete."""
    delta = dates.day - references.day
    days = np.where(delta >= 0, delta + 1, delta)
    return pd.arrays.IntegerArray(days, ~(dates.complete_date & references.complete_date))
