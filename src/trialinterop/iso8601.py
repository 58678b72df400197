"""ISO 8601 dates as SDTM uses them: partial (right-truncated) dates and datetimes, study day, durations.

Written here rather than taken from a library because SDTM needs partial values ("2023-05", "2023-05-04T10")
kept as text and never imputed, which `datetime`/`dateutil` cannot represent; the checks are small and exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

# YYYY[-MM[-DD[Thh[:mm[:ss[.fff]]]]]] with an optional zone; no day without month, no time without date.
_DTC = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
    r"(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?!$)(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True, slots=True)
class PartialDateTime:
    """A possibly partial ISO 8601 value; components after the first unknown one are None."""

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None

    @property
    def is_complete_date(self) -> bool:
        return self.day is not None

    def to_date(self) -> date | None:
        return date(self.year, self.month, self.day) if self.month is not None and self.day is not None else None


def parse_dtc(text: str) -> PartialDateTime:
    """Parse an ISO 8601 (partial) date/datetime; raise ValueError with the reason when it is not valid.

    Memoised: a package repeats the same few thousand dates on hundreds of thousands of records, and the result is
    a frozen value (invalid text is not cached; it raises every time).
    """
    return _parse_dtc(text)


@lru_cache(maxsize=1 << 18)
def _parse_dtc(text: str) -> PartialDateTime:
    match = _DTC.match(text)
    if not match:
        raise ValueError(f"not an ISO 8601 date/time: {text!r}")
    year = int(match["y"])
    month, day, hour, minute, second = (int(v) if v is not None else None for v in match.group("m", "d", "H", "M", "S"))
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month out of range in {text!r}")
    if month is not None and day is not None:  # the pattern allows no day without a month
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError(f"no such day: {text!r}") from None
    if (hour is not None and hour > 23) or (minute is not None and minute > 59) or (second is not None and second > 59):
        raise ValueError(f"time out of range in {text!r}")
    return PartialDateTime(year, month, day, hour, minute, second)


def is_valid_dtc(text: str) -> bool:
    try:
        parse_dtc(text)
    except ValueError:
        return False
    return True


def is_valid_duration(text: str) -> bool:
    """ISO 8601 duration as SDTM uses it (P49M, P1D, PT2H, P2W)."""
    return bool(_DURATION.match(text))


def to_date(text: str | None) -> date | None:
    """The calendar date of a complete date/datetime; None when empty or partial."""
    if not text:
        return None
    return _to_date(text)


@lru_cache(maxsize=1 << 18)
def _to_date(text: str) -> date | None:
    return parse_dtc(text).to_date()


def study_day(dtc: str | None, reference_dtc: str | None) -> int | None:
    """SDTMIG 4.4.4 study day: reference date is day 1, the day before is -1; there is no day 0.

    None unless both dates are complete.
    """
    target, reference = to_date(dtc), to_date(reference_dtc)
    if target is None or reference is None:
        return None
    delta = (target - reference).days
    return delta + 1 if delta >= 0 else delta


def compare_dtc(a: str, b: str) -> int:
    """-1/1 when the order of two (partial) values is certain at their common precision, else 0.

    Equal up to the shorter precision counts as 0 (not known to differ).
    """
    for x, y in zip(dtc_fields(a), dtc_fields(b), strict=True):
        if x is None or y is None:
            return 0
        if x != y:
            return -1 if x < y else 1
    return 0


@lru_cache(maxsize=1 << 18)
def dtc_fields(text: str) -> tuple[int, int | None, int | None, int | None, int | None, int | None]:
    """(year, month, day, hour, minute, second) of a valid value, None from the first unknown one (memoised)."""
    value = parse_dtc(text)
    return (value.year, value.month, value.day, value.hour, value.minute, value.second)


def format_datetime(value: datetime) -> str:
    """Minute or second precision, no zone (SDTM local time)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")


def date_part(dtc: str | None) -> str | None:
    """The date part of a date/datetime ("2022-03-01T10:30" -> "2022-03-01")."""
    if not dtc:
        return None
    return dtc.split("T", 1)[0]
