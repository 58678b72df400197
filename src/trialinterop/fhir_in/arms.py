"""Arms: the study's (ResearchStudy.arm in R4, comparisonGroup in R5) and each subject's assigned and actual arm
(R4 ResearchSubject.assignedArm/actualArm hold the arm's name, R5 assignedComparisonGroup/actualComparisonGroup its
linkId, the arm code made a FHIR id), matched against the definition's arms by code, name or linkId.

ARMCD comes from the sponsor arm extension, else the R5 linkId (in R4 the official cross-version extension of
comparisonGroup.linkId); an R4 arm with only a name is an error, since no arm code can be made up. The arm's
interventions come from the sponsor extension, else (with a warning) every study intervention when there is one arm.
FHIR has no element for an arm's trial elements: an arm read from FHIR has none (TA/TE need the definition).
"""

from __future__ import annotations

from typing import Any

from trialinterop.definition import model as d
from trialinterop.fhir import sponsor
from trialinterop.fhir.build_design import arm_link_id
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import extension_value, extensions

R4_LINK_ID = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.comparisonGroup.linkId"
SUBJECT_ARM_ELEMENTS = {
    "R4": ("assignedArm", "actualArm"),
    "R5": ("assignedComparisonGroup", "actualComparisonGroup"),
}


def study_arms(fhir: FhirInput, item: Located, interventions: tuple[d.Intervention, ...]) -> tuple[d.Arm, ...]:
    """The arms of the main ResearchStudy `item`."""
    element = "ResearchStudy.arm" if fhir.version == "R4" else "ResearchStudy.comparisonGroup"
    found = item.resource.get("arm" if fhir.version == "R4" else "comparisonGroup") or []
    return tuple(_arm(fhir, item, f"{element}[{n}]", arm, interventions, len(found)) for n, arm in enumerate(found))


def _arm(
    fhir: FhirInput, item: Located, path: str, arm: dict[str, Any], interventions: tuple[d.Intervention, ...], arms: int
) -> d.Arm:
    name = arm.get("name") or ""
    given = extensions(arm, sponsor.ARM)
    parts = sponsor.read_fields(given[0]) if given else {}
    code = (parts.get("code") or [None])[0] or arm.get("linkId") or extension_value(arm, R4_LINK_ID)
    if not code:
        raise item.fail(
            path,
            f"arm {name!r} has no arm code (ARMCD): an R4 arm has only a name; add the code as extension "
            f"{R4_LINK_ID} (or the sponsor arm extension), or give the study definition with --study",
        )
    if "interventions" in parts:
        codes = tuple(str(c) for c in parts["interventions"])
    elif arms == 1:
        codes = tuple(i.code for i in interventions)
        fhir.warn(item, path, f"arm {code} names no interventions: assumed all study interventions {list(codes)}")
    else:
        codes = ()
        fhir.warn(item, path, f"arm {code} names no interventions: none assumed")
    return d.Arm(
        code=str(code),
        name=name,
        type=(arm.get("type") or {}).get("text") or "",
        elements=(),
        interventions=codes,
        description=arm.get("description") or None,
    )


def subject_arms(item: Located, definition: d.StudyDefinition, version: str) -> tuple[str | None, str | None]:
    """(ARMCD assigned, ARMCD actually received) of a ResearchSubject: each must be one of the definition's arms;
    an absent one is None (screen failures, or systems that do not record them)."""
    found: list[str | None] = []
    for key in SUBJECT_ARM_ELEMENTS[version]:
        value = item.resource.get(key)
        if value is None:
            found.append(None)
            continue
        arm = match_arm(definition, value)
        if arm is None:
            known = ", ".join(f"{a.code} ({a.name})" for a in definition.arms) or "none"
            raise item.fail(
                f"ResearchSubject.{key}", f"{value!r} is none of the study's arms by code or name (arms: {known})"
            )
        found.append(arm.code)
    return found[0], found[1]


def match_arm(definition: d.StudyDefinition, value: Any) -> d.Arm | None:
    """The arm whose code, name or R5 linkId (the code as a FHIR id) equals `value` (exactly, else ignoring case and
    surrounding blanks)."""
    if not isinstance(value, str):
        return None
    for key in (lambda s: s, lambda s: s.strip().casefold()):
        for arm in definition.arms:
            if key(value) in (key(arm.code), key(arm.name), key(arm_link_id(arm.code))):
                return arm
    return None
