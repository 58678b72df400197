"""Per-item value transforms of an ODM mapping: how a collected text becomes the records value(s).

Applied in this order (each optional, see `docs/odm-mapping.md`): `regex` (+ `replace`) extracts or rewrites,
`unit` strips a trailing unit (`35 Years` -> `35`), `split` cuts a multi-select answer into several values (`1,2`),
`values` decodes each part (null = no value), `date` turns a vendor date (`02 JAN 1980`, `01 UNK 2008`) into ISO 8601
(right-truncated at the first unknown part, the SDTMIG partial-date convention), `constant` replaces a collected
value by a fixed one. Hand-written: dateutil and friends guess formats and cannot say "unknown month"; an EDC's
date layout is fixed and known, so an exact pattern is both stricter and simpler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
UNKNOWN = ("UNK", "UNKN", "UN", "UK", "NK", "XX", "XXX", "XXXX", "--", "----", "??", "????")
# token -> (ISO part, regex of a known value); the unknown markers are accepted in every part
_TOKENS = {
    "YYYY": ("year", r"\d{4}"),
    "MON": ("month", r"[A-Za-z]{3}"),
    "MM": ("month", r"\d{1,2}"),
    "DD": ("day", r"\d{1,2}"),
    "hh": ("hour", r"\d{1,2}"),
    "mm": ("minute", r"\d{2}"),
    "ss": ("second", r"\d{2}"),
}
_TOKEN_RE = re.compile("|".join(sorted(_TOKENS, key=len, reverse=True)))
_PARTS = ("year", "month", "day", "hour", "minute", "second")
_UNKNOWN_RE = "|".join(re.escape(u) for u in sorted(UNKNOWN, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class DateFormat:
    """One vendor date layout, e.g. `DD MON YYYY` or `MM/DD/YYYY hh:mm`; any other character is literal."""

    text: str
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, text: str) -> DateFormat:
        pattern, pos, seen = "", 0, set()
        for match in _TOKEN_RE.finditer(text):
            part, known = _TOKENS[match.group()]
            if part in seen:
                raise ValueError(f"date format {text!r} names the {part} twice")
            seen.add(part)
            pattern += re.escape(text[pos : match.start()]) + f"(?P<{part}>{known}|{_UNKNOWN_RE})"
            pos = match.end()
        pattern += re.escape(text[pos:])
        if "year" not in seen:
            raise ValueError(f"date format {text!r} has no year (YYYY)")
        return cls(text, re.compile(pattern, re.IGNORECASE))

    def to_iso(self, value: str) -> str | None:
        """ISO 8601 text (partial when a part is unknown), or None when `value` does not have this layout."""
        match = self.regex.fullmatch(value.strip())
        if match is None:
            return None
        found = match.groupdict()
        out: list[str] = []
        for part in _PARTS:
            raw = found.get(part)
            if raw is None or raw.upper() in UNKNOWN:
                break
            if part == "month" and not raw.isdigit():
                if raw.upper() not in MONTHS:
                    return None
                raw = str(MONTHS.index(raw.upper()) + 1)
            out.append(raw.zfill(4 if part == "year" else 2))
        if not out:
            return ""
        text = "-".join(out[:3])
        if len(out) > 3:
            text += "T" + ":".join(out[3:])  # an hour alone stays YYYY-MM-DDThh (reduced precision)
        return text


@dataclass(frozen=True, slots=True)
class Transform:
    """The transforms of one item target (all optional)."""

    regex: re.Pattern[str] | None = None
    replace: str | None = None
    unit: str | None = None
    split: str | None = None
    dates: tuple[DateFormat, ...] = ()
    constant: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.regex or self.unit or self.split or self.dates or self.constant is not None)

    def before_decode(self, text: str) -> list[str]:
        """regex, unit and split: the parts to decode; ValueError saying why a value does not fit."""
        if self.regex is not None:
            match = self.regex.search(text)
            if match is None:
                raise ValueError(f"does not match the mapping's regex {self.regex.pattern!r}")
            if self.replace is not None:
                text = match.expand(self.replace)
            else:
                text = match.group(1) if self.regex.groups else match.group(0)
            text = text.strip()
        if self.unit is not None:
            stripped = re.sub(rf"\s*{re.escape(self.unit)}\s*$", "", text, flags=re.IGNORECASE)
            if stripped == text and not _is_number(text):
                raise ValueError(f"has no unit {self.unit!r}")
            text = stripped
        if self.split is not None:
            return [part.strip() for part in text.split(self.split) if part.strip()]
        return [text]

    def after_decode(self, text: str) -> str:
        """date and constant on one decoded part; ValueError when a date has none of the layouts."""
        if self.dates:
            for layout in self.dates:
                iso = layout.to_iso(text)
                if iso is not None:
                    text = iso
                    break
            else:
                raise ValueError(f"is not a date laid out as {' or '.join(d.text for d in self.dates)}")
        if self.constant is not None:
            return self.constant
        return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
