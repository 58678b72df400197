"""CDISC UNIT submission values as UCUM quantities (FHIR Quantity.system/code), for Observation values and ranges.

Only units whose UCUM form is unambiguous are listed; any other unit is kept as `unit` text without a code (valid
FHIR; the vital-signs profile would want UCUM, so add the unit here when a study needs it).
"""

from __future__ import annotations

from trialinterop.fhir.codes import UCUM

UCUM_CODE: dict[str, str] = {
    "%": "%",
    "L": "L",
    "mL": "mL",
    "dL": "dL",
    "mmHg": "mm[Hg]",
    "beats/min": "/min",
    "breaths/min": "/min",
    "C": "Cel",
    "F": "[degF]",
    "kg": "kg",
    "g": "g",
    "LB": "[lb_av]",
    "cm": "cm",
    "m": "m",
    "in": "[in_i]",
    "kg/m2": "kg/m2",
    "s": "s",
    "min": "min",
    "h": "h",
    "d": "d",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mg/dL": "mg/dL",
    "mg/L": "mg/L",
    "U/L": "U/L",
    "mEq/L": "meq/L",
    "mmol/L": "mmol/L",
    "umol/L": "umol/L",
    "10^9/L": "10*9/L",
    "10^12/L": "10*12/L",
    "fL": "fL",
    "pg": "pg",
    "fmol": "fmol",
    "mg": "mg",
}
"""CDISC UNIT -> UCUM code (e.g. beats/min -> /min, C -> Cel, mEq/L -> meq/L, 10^9/L -> 10*9/L)."""


def quantity(value: float | int, unit: str | None) -> dict[str, object]:
    """A Quantity: the CDISC unit as `unit`, with UCUM system/code when the unit has a UCUM form."""
    result: dict[str, object] = {"value": value}
    if unit:
        result["unit"] = unit
        code = UCUM_CODE.get(unit)
        if code is not None:
            result["system"] = UCUM
            result["code"] = code
    return result
