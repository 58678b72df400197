"""ISO 3166-1 countries (`mappings/iso3166.csv`: alpha-3, alpha-2, numeric code, English short name), the values of
CDISC COUNTRY. Taken from Debian's iso-codes 4.15.0 (`iso_3166-1.json`); a table, so no code change follows a new
country."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from trialinterop.resources import mappings_dir


@dataclass(frozen=True, slots=True)
class Country:
    alpha3: str
    alpha2: str
    numeric: str
    name: str


@cache
def countries() -> dict[str, Country]:
    """Every country by its alpha-3 code."""
    with (mappings_dir() / "iso3166.csv").open(encoding="utf-8", newline="") as handle:
        return {row["alpha3"]: Country(**row) for row in csv.DictReader(handle)}


def country(alpha3: str) -> Country | None:
    return countries().get(alpha3)


def to_alpha3(text: str | None) -> str | None:
    """The alpha-3 code a country is given as: alpha-3, alpha-2 or the English short name (any case); None when
    it is none of them."""
    if not isinstance(text, str) or not text.strip():
        return None
    wanted = text.strip().upper()
    for found in countries().values():
        if wanted in (found.alpha3, found.alpha2, found.name.upper()):
            return found.alpha3
    return None
