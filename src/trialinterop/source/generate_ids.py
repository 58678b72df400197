"""Subject identifiers in the shape of a definition's `subjects.id_pattern`, for the records generator.

Understands patterns made of literal characters and character classes with an optional `{m}` / `{m,n}` count, e.g.
`[0-9]{2}-[0-9]{3,5}` (site-prefixed: the first class takes the site id, the next digit class a running number per
site), `[0-9]{4}` (one running number over the trial) and UUID-like `[0-9a-f]{8}-[0-9a-f]{4}-...` (random, unique).
Anything else (alternation, groups, `*`, `+`) is refused with a ValueError naming the pattern.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\[(?P<cls>[^\]]+)\](?:\{(?P<lo>\d+)(?:,(?P<hi>\d+))?\})?|\\(?P<esc>.)|(?P<lit>[^\\\[\](){}|*+?.^$])"
)
_DIGITS = set(string.digits)


@dataclass(frozen=True, slots=True)
class _Part:
    chars: str  # the characters a class allows; one character for a literal
    low: int
    high: int
    literal: bool

    @property
    def digits(self) -> bool:
        return not self.literal and set(self.chars) == _DIGITS


def _class_chars(spec: str, pattern: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    if not chars or spec.startswith("^"):
        raise ValueError(f"subject id pattern {pattern!r}: unsupported character class [{spec}]")
    return "".join(dict.fromkeys(chars))


def _parse(pattern: str) -> list[_Part]:
    body = pattern.removeprefix("^").removesuffix("$")
    parts: list[_Part] = []
    position = 0
    while position < len(body):
        match = _TOKEN.match(body, position)
        if match is None:
            raise ValueError(f"subject id pattern {pattern!r}: cannot generate ids for {body[position:]!r}")
        if match["cls"] is not None:
            low = int(match["lo"] or 1)
            high = int(match["hi"] or low) if match["lo"] else 1
            parts.append(_Part(_class_chars(match["cls"], pattern), low, high, literal=False))
        else:
            parts.append(_Part(match["esc"] or match["lit"], 1, 1, literal=True))
        position = match.end()
    return parts


def _number(value: int, part: _Part, width: int) -> str:
    text = f"{value:0{max(part.low, min(width, part.high))}d}"
    if len(text) > part.high:
        raise ValueError(f"subject number {value} does not fit {part.high} digits")
    return text


class SubjectIds:
    """`next(site_id)` gives the next subject id of that site; ids are unique and match the pattern."""

    def __init__(self, pattern: str, site_ids: list[str], subjects: int, rng: random.Random) -> None:
        self.pattern, self.rng = pattern, rng
        self.parts = _parse(pattern)
        self.compiled = re.compile(pattern)
        self.width = len(str(subjects))
        self.counters: dict[str, int] = {}
        self.seen: set[str] = set()
        first = self.parts[0] if self.parts else None
        self.site_prefixed = (
            first is not None
            and not first.literal
            and len(self.parts) > 2
            and self.parts[1].literal
            and any(p.digits for p in self.parts[2:])
            and all(re.fullmatch(f"[{re.escape(first.chars)}]{{{first.low},{first.high}}}", s) for s in site_ids)
        )
        self.counter_part = next((i for i, p in enumerate(self.parts) if p.digits), None)
        if self.site_prefixed:
            self.counter_part = next(i for i, p in enumerate(self.parts) if i >= 2 and p.digits)

    def next(self, site_id: str) -> str:
        key = site_id if self.site_prefixed else ""
        self.counters[key] = self.counters.get(key, 0) + 1
        for _ in range(1000):
            text = self._make(site_id, self.counters[key])
            if text not in self.seen:
                break
        else:
            raise ValueError(f"subject id pattern {self.pattern!r} allows too few distinct ids")
        if not self.compiled.fullmatch(text):
            raise ValueError(f"cannot generate subject ids matching {self.pattern!r} (made {text!r})")
        self.seen.add(text)
        return text

    def _make(self, site_id: str, count: int) -> str:
        random_fill = self.counter_part is None or (not self.site_prefixed and self._uuid_like())
        out: list[str] = []
        for index, part in enumerate(self.parts):
            if part.literal:
                out.append(part.chars)
            elif index == 0 and self.site_prefixed:
                out.append(site_id)
            elif index == self.counter_part and not random_fill:
                out.append(_number(count, part, self.width))
            elif part.digits and not random_fill:
                out.append("0" * part.low)
            else:
                out.append("".join(self.rng.choice(part.chars) for _ in range(part.high)))
        return "".join(out)

    def _uuid_like(self) -> bool:
        """Several variable parts with letters among them: fill at random rather than count."""
        variable = [p for p in self.parts if not p.literal]
        return len(variable) > 2 and any(not p.digits for p in variable)
