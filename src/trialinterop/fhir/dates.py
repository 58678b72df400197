"""ISO 8601 values of the records as FHIR date / dateTime.

Records keep SDTM-style local times without a zone ("2021-09-21T09:30"); FHIR requires seconds and a zone whenever a
time is given. With the site's fixed UTC offset we complete the value exactly; a time known only to the hour, or a
time at a site with no known offset, is truncated to its date (the date is never guessed, partial dates stay partial);
the value as collected then rides along as the core originalText extension (`datetime_element`), so reading the FHIR
back (`record_dtc`, `original_dtc`) gives the record value exactly.
"""

from __future__ import annotations


def fhir_date(value: str) -> str:
    """A (partial) date: YYYY, YYYY-MM or YYYY-MM-DD; any time part is dropped."""
    return value[:10]


def fhir_datetime(value: str, offset: str | None) -> str:
    """A (partial) FHIR dateTime from a record value; see the module docstring for the rules."""
    if len(value) <= 10:
        return value
    date_part, _, time_part = value.partition("T")
    if time_part.endswith("Z") or (len(time_part) > 6 and time_part[-6] in "+-"):
        zone = "Z" if time_part.endswith("Z") else time_part[-6:]
        time_part = time_part[: -len(zone)]
    elif offset is None:
        return date_part
    else:
        zone = offset
    if len(time_part) == 2:  # hour only: FHIR cannot say "10 o'clock, minute unknown"
        return date_part
    if len(time_part) == 5:
        time_part += ":00"
    return f"{date_part}T{time_part}{zone}"


ORIGINAL_TEXT = "http://hl7.org/fhir/StructureDefinition/originalText"
"""Core extension (context: any Element) holding the value as collected; used on a dateTime primitive when the FHIR
value cannot give the record value back (a time known to the hour, explicit ':00' seconds, a time dropped for want of
a zone), so FHIR -> records stays exact."""


def record_dtc(value: object) -> str | None:
    """The inverse of `fhir_datetime` for values it completed: drop the zone and ':00' seconds (local time kept)."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) <= 10:
        return value
    date_part, _, time_part = value.partition("T")
    if time_part.endswith("Z"):
        time_part = time_part[:-1]
    elif len(time_part) > 6 and time_part[-6] in "+-":
        time_part = time_part[:-6]
    if len(time_part) == 8 and time_part.endswith(":00"):
        time_part = time_part[:5]
    return f"{date_part}T{time_part}" if time_part else date_part


def datetime_element(name: str, raw: str, offset: str | None) -> dict[str, object]:
    """`{name: FHIR dateTime}`, plus `{_name: originalText}` when `record_dtc` of it would not give `raw` back."""
    value = fhir_datetime(raw, offset)
    element: dict[str, object] = {name: value}
    if record_dtc(value) != raw:
        element["_" + name] = {"extension": [{"url": ORIGINAL_TEXT, "valueString": raw}]}
    return element


def original_dtc(element: dict, name: str) -> str | None:
    """The record value of dateTime `name` of `element`: its originalText when present, else `record_dtc`."""
    carried = element.get("_" + name)
    if isinstance(carried, dict):
        for extension in carried.get("extension") or []:
            if isinstance(extension, dict) and extension.get("url") == ORIGINAL_TEXT:
                text = extension.get("valueString")
                if isinstance(text, str):
                    return text
    return record_dtc(element.get(name))
