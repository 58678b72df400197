"""The eligibility criteria of the definition as a definitional Group (the ResearchStudy's enrollment/eligibility):
each inclusion criterion a characteristic that must hold, each exclusion criterion one with exclude=true, then the age
limits (LOINC 30525-0 Age, valueRange in UCUM years/months/weeks/days) and the sex (LOINC 46098-0 Sex,
administrative-gender) when the study is not open to all sexes. Same shape in R4 and R5 (Group.characteristic).
"""

from __future__ import annotations

import re
from typing import Any

from trialinterop.definition.model import Criterion
from trialinterop.fhir import codes
from trialinterop.fhir.context import Context

Resource = dict[str, Any]

_DURATION = re.compile(r"^P(\d+)([YMWD])$")
_UCUM_DURATION = {"Y": ("a", "years"), "M": ("mo", "months"), "W": ("wk", "weeks"), "D": ("d", "days")}


def age_quantity(duration: str | None) -> Resource | None:
    """An ISO 8601 duration of one unit (P18Y, P6M, P2W, P30D) as a UCUM quantity; None otherwise."""
    found = _DURATION.match(duration or "")
    if found is None:
        return None
    code, unit = _UCUM_DURATION[found.group(2)]
    return {"value": int(found.group(1)), "unit": unit, "system": codes.UCUM, "code": code}


def _criterion(ctx: Context, criterion: Criterion) -> Resource:
    return {
        "code": {
            "coding": [
                {
                    "system": ctx.code_system("criteria"),
                    "code": criterion.id,
                    "display": criterion.short or criterion.text,
                }
            ],
            "text": criterion.text,
        },
        "valueBoolean": True,
        "exclude": criterion.category == "EXCLUSION",
    }


def _limits(ctx: Context) -> list[Resource]:
    eligibility = ctx.definition.eligibility
    found = []
    low, high = age_quantity(eligibility.minimum_age), age_quantity(eligibility.maximum_age)
    if low is not None or high is not None:
        age_range = {name: value for name, value in (("low", low), ("high", high)) if value is not None}
        found.append({"code": codes.concept(codes.LOINC, *codes.LOINC_AGE), "valueRange": age_range, "exclude": False})
    sex = codes.ELIGIBLE_SEX.get(eligibility.sex)
    if sex is not None:
        value = codes.concept(codes.ADMINISTRATIVE_GENDER_SYSTEM, *sex)
        found.append(
            {"code": codes.concept(codes.LOINC, *codes.LOINC_SEX), "valueCodeableConcept": value, "exclude": False}
        )
    return found


def build_eligibility_group(ctx: Context) -> Resource:
    """Criteria first (in definition order), then age and sex limits."""
    characteristics = [_criterion(ctx, c) for c in ctx.definition.eligibility.criteria]
    group: Resource = {
        "resourceType": "Group",
        "id": ctx.id("Group", "eligibility"),
        "identifier": [ctx.identifier("group", "eligibility")],
        "type": "person",
        "name": f"Eligibility criteria, {ctx.study.nct_id}",
        "characteristic": characteristics + _limits(ctx),
    }
    if ctx.is_r4:
        group["actual"] = False
    else:
        group["membership"] = "definitional"
    return group
