"""The design of the study from its definition: arms (R4 `ResearchStudy.arm`, R5 `comparisonGroup` whose
`intendedExposure` names one EvidenceVariable per intervention of the arm, R5's only allowed target), the design as
coded concepts (R4 `category`, R5 `studyDesign`; SEVCO codes of the R5 study-design CodeSystem, each with its text).
"""

from __future__ import annotations

import re
from typing import Any

from trialinterop.definition.model import Arm, Intervention
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.context import Context

Resource = dict[str, Any]


def arm_link_id(arm_code: str) -> str:
    """The arm code as a FHIR id (R5 comparisonGroup.linkId, ResearchSubject.assigned/actualComparisonGroup): every
    character outside [A-Za-z0-9.-] becomes '-' (Xan_Hi -> Xan-Hi); the sponsor arm extension keeps the code."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", arm_code)


def _arm_type(arm: Arm) -> Resource:
    found = codes.ARM_TYPE.get(arm.type)
    concept: Resource = {"text": arm.type}
    if found is not None:
        concept = {"coding": [codes.coding(codes.ARM_TYPE_SYSTEM, *found)], **concept}
    return concept


def build_arms(ctx: Context) -> list[Resource]:
    """R4 `arm` / R5 `comparisonGroup` elements, one per arm of the definition, each with the sponsor arm extension
    (arm code and intervention codes)."""
    elements = []
    for arm in ctx.definition.arms:
        element: Resource = {} if ctx.is_r4 else {"linkId": arm_link_id(arm.code)}
        element["name"] = arm.name
        element["type"] = _arm_type(arm)
        element["description"] = arm.description or arm.name
        if not ctx.is_r4:
            element["intendedExposure"] = [ctx.ref("EvidenceVariable", code) for code in arm.interventions]
        fields = {"code": arm.code, "interventions": arm.interventions}
        elements.append(sponsor.with_extension(element, sponsor.fields_extension(ctx.extension(sponsor.ARM), fields)))
    return elements


def build_exposure_variable(ctx: Context, intervention: Intervention) -> Resource:
    """R5: the intervention as the EvidenceVariable an arm's intendedExposure points at, defined by its Medication."""
    return {
        "resourceType": "EvidenceVariable",
        "id": ctx.id("EvidenceVariable", intervention.code),
        "identifier": [ctx.identifier("intervention", intervention.code)],
        "title": intervention.name,
        "status": "active",
        "description": intervention.description or intervention.name,
        "characteristic": [
            {
                "description": f"Receives {intervention.name}",
                "definitionByTypeAndValue": {
                    "type": {"text": "Study intervention"},
                    "valueReference": ctx.ref("Medication", intervention.code),
                },
            }
        ],
    }


def _concept(text: str, found: tuple[str, str] | None) -> Resource:
    if found is None:
        return {"text": text}
    return {"coding": [codes.coding(codes.STUDY_DESIGN_SYSTEM, *found)], "text": text}


def build_design_concepts(ctx: Context) -> list[Resource]:
    """Study type, allocation, intervention model and masking (text as before, SEVCO coding where one fits), then one
    concept per masked role."""
    study_type, design = ctx.definition.study.type, ctx.definition.design
    concepts = [
        _concept(f"Study type: {study_type}", codes.STUDY_TYPE_DESIGN.get(study_type)),
        _concept(f"Allocation: {design.allocation}", codes.ALLOCATION_DESIGN.get(design.allocation)),
        _concept(f"Intervention model: {design.intervention_model}", codes.MODEL_DESIGN.get(design.intervention_model)),
        _concept(f"Masking: {design.masking}", None),
    ]
    concepts += [_concept(f"Masked role: {role}", codes.MASKED_ROLE_DESIGN.get(role)) for role in design.masked_roles]
    return concepts
