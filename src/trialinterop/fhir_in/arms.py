"""Arms: the study's (ResearchStudy.arm in R4, comparisonGroup in R5) and each subject's assigned and actual arm
(R4 ResearchSubject.assignedArm/actualArm hold the arm's name, R5 assignedComparisonGroup/actualComparisonGroup its
linkId), matched against the study's arms by code or name.

ARMCD comes from the sponsor arm extension, else the R5 linkId (in R4 the official cross-version extension of
comparisonGroup.linkId); an R4 arm with only a name is an error, since no arm code can be made up. The arm's
interventions come from the sponsor extension, else (with a warning) every study intervention when there is one arm.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import sponsor
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import extension_value, extensions
from trialinterop.source import models as m

R4_LINK_ID = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.comparisonGroup.linkId"
SUBJECT_ARM_ELEMENTS = {
    "R4": ("assignedArm", "actualArm"),
    "R5": ("assignedComparisonGroup", "actualComparisonGroup"),
}


def study_arms(fhir: FhirInput, item: Located, interventions: tuple[m.Intervention, ...]) -> tuple[m.Arm, ...]:
    """The arms of the main ResearchStudy `item`."""
    element = "ResearchStudy.arm" if fhir.version == "R4" else "ResearchStudy.comparisonGroup"
    found = item.resource.get("arm" if fhir.version == "R4" else "comparisonGroup") or []
    return tuple(_arm(fhir, item, f"{element}[{n}]", arm, interventions, len(found)) for n, arm in enumerate(found))


def _arm(
    fhir: FhirInput, item: Located, path: str, arm: dict[str, Any], interventions: tuple[m.Intervention, ...], arms: int
) -> m.Arm:
    name = arm.get("name") or ""
    given = extensions(arm, sponsor.ARM)
    parts = sponsor.read_fields(given[0]) if given else {}
    code = (parts.get("code") or [None])[0] or arm.get("linkId") or extension_value(arm, R4_LINK_ID)
    if not code:
        raise item.fail(
            path,
            f"arm {name!r} has no arm code (ARMCD): an R4 arm has only a name; add the code as extension "
            f"{R4_LINK_ID} (or the sponsor arm extension), or give the registry record with --study study.json",
        )
    if "interventions" in parts:
        codes = tuple(str(c) for c in parts["interventions"])
    elif arms == 1:
        codes = tuple(i.code for i in interventions)
        fhir.warn(item, path, f"arm {code} names no interventions: assumed all study interventions {list(codes)}")
    else:
        codes = ()
        fhir.warn(item, path, f"arm {code} names no interventions: none assumed")
    return m.Arm(
        code=str(code),
        label=name,
        type=(arm.get("type") or {}).get("text") or "",
        description=arm.get("description") or "",
        interventions=codes,
    )


def check_subject_arms(item: Located, study: m.Study, version: str) -> None:
    """The subject's assigned/actual arm must be one of the study's arms, and the first (the only arm the records, and
    so DM ARM, can give a subject). Absent arms are fine (screen failures, or systems that do not record them)."""
    for key in SUBJECT_ARM_ELEMENTS[version]:
        value = item.resource.get(key)
        if value is None:
            continue
        element = f"ResearchSubject.{key}"
        arm = match_arm(study, value)
        if arm is None:
            known = ", ".join(f"{a.code} ({a.label})" for a in study.arms) or "none"
            raise item.fail(element, f"{value!r} is none of the study's arms by code or name (arms: {known})")
        if arm is not study.arms[0]:
            raise item.fail(
                element,
                f"arm {arm.code} is not the study's first arm {study.arms[0].code}: the records give every enrolled "
                "subject that arm (trials with several arms are not supported)",
            )


def match_arm(study: m.Study, value: Any) -> m.Arm | None:
    """The study arm whose code or name equals `value` (exactly, else ignoring case and surrounding blanks)."""
    if not isinstance(value, str):
        return None
    for key in (lambda s: s, lambda s: s.strip().casefold()):
        for arm in study.arms:
            if key(value) in (key(arm.code), key(arm.label)):
                return arm
    return None
