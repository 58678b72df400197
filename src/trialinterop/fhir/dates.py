"""ISO 8601 values of the records as FHIR date / dateTime.

Records keep SDTM-style local times without a zone ("2021-09-21T09:30"); FHIR requires seconds and a zone whenever a
time is given. With the site's fixed UTC offset we complete the value exactly; a time known only to the hour, or a
time at a site with no known offset, is truncated to its date (the date is never guessed, partial dates stay partial).
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
