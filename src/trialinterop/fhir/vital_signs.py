"""The FHIR Vital Signs profiles an Observation meets (R4 4.0.1 and R5 `vitalsigns` and its specific profiles), to
declare them in `meta.profile`.

Only what the profile demands is checked, from the resource itself: category `vital-signs`; a LOINC code; a
subject; `effective[x]` (a dateTime at least to the day, vs-1); a value or dataAbsentReason (vs-2); a valueQuantity
with value, unit and a UCUM code. A specific profile (heart rate, body weight, ...) is added when the LOINC code is
its fixed code and the UCUM unit one it allows. Blood pressure has no specific profile here: the `bp` profile is the
panel 85354-9 with systolic and diastolic components, and SDTM keeps SYSBP and DIABP as separate results.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes

BASE = "http://hl7.org/fhir/StructureDefinition/"
VITAL_SIGNS = BASE + "vitalsigns"
SPECIFIC: dict[str, tuple[str, frozenset[str]]] = {
    "8867-4": ("heartrate", frozenset({"/min"})),
    "9279-1": ("resprate", frozenset({"/min"})),
    "8310-5": ("bodytemp", frozenset({"Cel", "[degF]"})),
    "8302-2": ("bodyheight", frozenset({"cm", "[in_i]"})),
    "29463-7": ("bodyweight", frozenset({"kg", "g", "[lb_av]"})),
    "39156-5": ("bmi", frozenset({"kg/m2"})),
    "2708-6": ("oxygensat", frozenset({"%"})),
    "9843-4": ("headcircum", frozenset({"cm", "[in_i]"})),
}
"""LOINC code -> (profile id, UCUM codes its value set allows), from the FHIR R4 Vital Signs profiles."""


def _is_vital_signs(resource: dict[str, Any]) -> bool:
    return any(
        coding.get("system") == codes.OBS_CATEGORY_SYSTEM and coding.get("code") == "vital-signs"
        for concept in resource.get("category") or []
        for coding in concept.get("coding") or []
    )


def _quantity_ok(quantity: dict[str, Any]) -> bool:
    return (
        "value" in quantity and bool(quantity.get("unit")) and quantity.get("system") == codes.UCUM
        and bool(quantity.get("code"))
    )  # fmt: skip


def vital_signs_profiles(resource: dict[str, Any]) -> list[str]:
    """The Vital Signs profiles `resource` (an Observation) meets: none, the base profile, or it and a specific one."""
    loinc = [c["code"] for c in resource.get("code", {}).get("coding", []) if c.get("system") == codes.LOINC]
    effective = resource.get("effectiveDateTime")
    if not (_is_vital_signs(resource) and loinc and "subject" in resource and isinstance(effective, str)):
        return []
    if len(effective) < len("YYYY-MM-DD"):  # vs-1
        return []
    quantity = resource.get("valueQuantity")
    if quantity is not None and not _quantity_ok(quantity):
        return []
    if quantity is None and "dataAbsentReason" not in resource:  # vs-2: a value other than a Quantity
        return []
    profiles = [VITAL_SIGNS]
    specific = SPECIFIC.get(loinc[0])
    if specific is not None and quantity is not None and quantity["code"] in specific[1]:
        profiles.append(BASE + specific[0])
    return profiles
