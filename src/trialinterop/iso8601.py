"""ISO 8601 dates as SDTM uses them: partial (right-truncated) dates and datetimes, study day, durations.

Written here rather than taken from a library because SDTM needs partial values ("2023-05", "2023-05-04T10")
kept as text and never imputed, which `datetime`/`dateutil` cannot represent; the checks are small and exact.
Third-party ISO 8601 parsers (`isodate`, `iso8601`, `dateutil.parser.isoparse`, `pendulum`) either impute the
missing components, reject SDTMIG's "-" placeholders for unknown components in the middle ("2003---15",
"--12-15", "-----T07:15"), or accept forms SDTMIG excludes (basic format "20031215", week and ordinal dates, weeks
mixed with days in a duration), so none of them can decide SDTM validity. The shape is a regular expression, the
calendar facts (month length, leap years) come from the standard library's `calendar`.

Two levels: `parse_dtc` is what this project writes (right-truncated values only, no placeholders);
`parse_sdtm_dtc` / `is_valid_sdtm_dtc` are what SDTMIG 3.4 §4.4.1-4.4.3 allows in a submitted --DTC value
(placeholders, intervals start/end, start/duration, duration/end) and are what the validator checks.
"""

from __future__ import annotations

import calendar
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
# SDTMIG 3.4 §4.4.1-4.4.2: YYYY-MM-DDThh:mm:ss(.n+)?(((+|-)hh:mm)|Z)?, right-truncated, and a single "-" for each
# unknown component in the middle, the delimiters kept ("2003---15", "--12-15", "2003-12-15T-:15", "-----T07:15").
_SDTM_DTC = re.compile(
    r"^(?P<y>\d{4}|-)(?:-(?P<m>\d{2}|-)(?:-(?P<d>\d{2}|-)"
    r"(?:T(?P<H>\d{2}|-)(?::(?P<M>\d{2}|-)(?::(?P<S>\d{2}|-)(?P<f>\.\d+)?)?)?"
    r"(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_LEAP_YEAR = 2000  # month lengths when the year is unknown: February may have 29 days
# SDTMIG 3.4 §4.4.3.1: PnYnMnDTnHnMnS or PnW (weeks never mixed with other components); only the lowest-order
# component may have a decimal fraction, written with a leading digit ("PT0.5H", not "PT.5H").
_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"^P(?:(?P<w>{_NUMBER})W|(?=\d|T\d)(?:(?P<y>{_NUMBER})Y)?(?:(?P<mo>{_NUMBER})M)?(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<h>{_NUMBER})H)?(?:(?P<mi>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?)$"
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
    """ISO 8601 duration as SDTM uses it (P49M, P1D, PT2H, P2W, PT0.5H; SDTMIG 3.4 §4.4.3.1)."""
    match = _DURATION.match(text)
    if not match:
        return False
    numbers = [value for value in match.groups() if value is not None]
    return not any("." in value for value in numbers[:-1])  # a fraction only on the lowest-order component


SdtmFields = tuple[int | None, int | None, int | None, int | None, int | None, int | None]


def parse_sdtm_dtc(text: str) -> SdtmFields:
    """(year, month, day, hour, minute, second) of one SDTM date/time, None where unknown (a "-" placeholder in the
    middle or right-truncated); ValueError with the reason when it is not valid (SDTMIG 3.4 §4.4.1-4.4.2).

    Checked exactly: month 01-12, the day within its month (February 29 only in a leap year, or when the year is
    unknown), hour 00-23, minute and second 00-59, a fraction only after known seconds, zone offset hh 00-23 and
    mm 00-59. The last component written must be known (an unknown one at the end is truncated, not "-").
    Memoised (invalid text is not cached; it raises every time).
    """
    return _parse_sdtm_dtc(text)


@lru_cache(maxsize=1 << 18)
def _parse_sdtm_dtc(text: str) -> SdtmFields:
    match = _SDTM_DTC.match(text)
    if not match:
        raise ValueError(f"not an ISO 8601 date/time: {text!r}")
    written = [value for value in match.group("y", "m", "d", "H", "M", "S") if value is not None]
    if written[-1] == "-":
        raise ValueError(f"an unknown last component is left out, not written as '-': {text!r}")
    year, month, day, hour, minute, second = (
        None if value is None or value == "-" else int(value) for value in match.group("y", "m", "d", "H", "M", "S")
    )
    if match["f"] and second is None:
        raise ValueError(f"fraction of an unknown second in {text!r}")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month out of range in {text!r}")
    if day is not None:
        last = calendar.monthrange(_LEAP_YEAR if year is None else year, month)[1] if month is not None else 31
        if not 1 <= day <= last:
            raise ValueError(f"no such day: {text!r}")
    if (hour is not None and hour > 23) or (minute is not None and minute > 59) or (second is not None and second > 59):
        raise ValueError(f"time out of range in {text!r}")
    zone = match["z"]
    if zone and zone != "Z" and (int(zone[1:3]) > 23 or int(zone[4:6]) > 59):
        raise ValueError(f"time zone offset out of range in {text!r}")
    return (year, month, day, hour, minute, second)


def is_valid_sdtm_dtc(text: str) -> bool:
    """A valid SDTM --DTC value (SDTMIG 3.4 §4.4.1-4.4.3): one date/time as `parse_sdtm_dtc` accepts it, or an
    interval of two joined by "/": start/end (start not after end), start/duration or duration/end."""
    if "/" not in text:
        return _valid_sdtm_instant(text)
    start, _, end = text.partition("/")
    if start.startswith("P"):
        return is_valid_duration(start) and _valid_sdtm_instant(end)
    if end.startswith("P"):
        return _valid_sdtm_instant(start) and is_valid_duration(end)
    if not (_valid_sdtm_instant(start) and _valid_sdtm_instant(end)):
        return False
    return compare_known(parse_sdtm_dtc(start), parse_sdtm_dtc(end)) <= 0


def _valid_sdtm_instant(text: str) -> bool:
    try:
        parse_sdtm_dtc(text)
    except ValueError:
        return False
    return True


def compare_known(a: SdtmFields, b: SdtmFields) -> int:
    """-1/1 when the order is certain from the components both know before the first unknown one, else 0."""
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            return 0
        if x != y:
            return -1 if x < y else 1
    return 0


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
    return compare_known(dtc_fields(a), dtc_fields(b))


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
