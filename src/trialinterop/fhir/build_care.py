"""What happened to a subject: visits as Encounters, study-product administrations as MedicationAdministrations
(Medication per intervention and lot), and the procedure an intervention needs first (definition
`interventions[].preceded_by`, collected as `Exposure.preceded_by_date`) as a Procedure the administration cites.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_schedule import visit_code
from trialinterop.fhir.build_study import medication_ref
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import datetime_element
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_text
from trialinterop.source.models import Exposure, Visit

Resource = dict[str, Any]


def build_encounter(ctx: Context, facts: SubjectFacts, visit: Visit) -> Resource:
    planned = ctx.study.planned_visit(visit.visit_num)
    name = planned.name if planned is not None else "UNPLANNED"
    code = visit_code(visit.visit_num)
    visit_type = {
        "coding": [{"system": ctx.code_system("visit"), "code": code, "display": name}],
        "text": name,
    }
    occurred = visit.occurred == "Y"
    reason_text = fhir_text(visit.unplanned_description if occurred else visit.reason_not_done)
    resource: Resource = {
        "resourceType": "Encounter",
        "id": ctx.id("Encounter", visit.subject_id, code),
        "identifier": [ctx.identifier("visit", f"{visit.subject_id}/{code}")],
        "type": [visit_type],
        "subject": ctx.ref("Patient", visit.subject_id),
        "location": [{"location": ctx.ref("Location", facts.subject.site_id)}],
    }
    ambulatory = {"system": codes.ACT_CODE_SYSTEM, "code": "AMB", "display": "ambulatory"}
    period = None
    if visit.visit_date:
        period = datetime_element("start", visit.visit_date, facts.offset)
        period.update(datetime_element("end", visit.visit_date, facts.offset))
    if ctx.is_r4:
        resource["status"] = "finished" if occurred else "cancelled"
        resource["class"] = ambulatory
        if period:
            resource["period"] = period
        if reason_text:
            resource["reasonCode"] = [{"text": reason_text}]
        return resource
    resource["status"] = "completed" if occurred else "cancelled"
    resource["class"] = [{"coding": [ambulatory]}]
    if period:
        resource["actualPeriod"] = period
    if reason_text:
        resource["reason"] = [{"value": [{"concept": {"text": reason_text}}]}]
    return resource


def encounter_ref(ctx: Context, facts: SubjectFacts, visit_num: float) -> dict[str, str] | None:
    """Reference to the visit's Encounter when that visit took place, else None."""
    if visit_num not in facts.visit_nums:
        return None
    return ctx.ref("Encounter", facts.subject.subject_id, visit_code(visit_num))


def _preceding_key(exposure: Exposure, procedure: str) -> tuple[str, str, str]:
    return (exposure.subject_id, procedure.upper(), exposure.preceded_by_date or "")


def build_preceding_procedure(ctx: Context, facts: SubjectFacts, exposure: Exposure) -> Resource | None:
    """The procedure the intervention's `preceded_by` names (e.g. a cell collection), on its collected date; None when
    no date was collected or the intervention names no procedure. Coded with SNOMED CT when the definition gives it."""
    intervention = ctx.definition.intervention_for_treatment(exposure.treatment)
    if exposure.preceded_by_date is None or intervention is None or intervention.preceded_by is None:
        return None
    procedure = intervention.preceded_by
    sid, name, when = _preceding_key(exposure, procedure)
    code: Resource = {"text": f"{procedure} (before {exposure.treatment})"}
    if intervention.preceded_by_snomed:
        code = {"coding": [codes.coding(codes.SNOMED, intervention.preceded_by_snomed, procedure)], **code}
    resource: Resource = {
        "resourceType": "Procedure",
        "id": ctx.id("Procedure", sid, name, when),
        "identifier": [ctx.identifier("procedure", f"{sid}/{name}/{when}")],
        "status": "completed",
        "code": code,
        "subject": ctx.ref("Patient", sid),
    }
    element = "performedDateTime" if ctx.is_r4 else "occurrenceDateTime"
    resource.update(datetime_element(element, when, facts.offset))
    return resource


def dose_quantity(ctx: Context, value: float | None, unit: str | None) -> Resource | None:
    """A dose as a Quantity (the unit NCI coded when it is a UNIT term); None when neither value nor unit was collected
    (a Quantity's elements are never null)."""
    quantity: Resource = {} if value is None else {"value": value}
    unit = fhir_text(unit)
    if unit:
        quantity["unit"] = unit
        if ctx.terminology.has("UNIT", unit):
            quantity["system"] = codes.NCI
            quantity["code"] = ctx.terminology.code("UNIT", unit)
    return quantity or None


def coded_text(ctx: Context, codelist: str, value: str) -> Resource:
    """A CodeableConcept of a collected CDISC value: its NCI coding when a term of `codelist`, the value as text."""
    if ctx.terminology.has(codelist, value):
        return {"coding": [ctx.nci(codelist, value)], "text": value}
    return {"text": value}


NO_DOSE: Resource = {"extension": [{"url": codes.DATA_ABSENT_REASON, "valueCode": "unknown"}]}
"""The dose of an administration without a collected dose: R4/R5 invariant mad-1 needs dosage.dose (or a rate)."""


def build_administration(ctx: Context, facts: SubjectFacts, exposure: Exposure) -> Resource:
    sid = exposure.subject_id
    key = f"{sid}/{exposure.treatment}/{exposure.start}"
    dose = dose_quantity(ctx, exposure.dose, exposure.dose_unit)
    if exposure.dose is None:
        dose = {**NO_DOSE, **(dose or {})}
    dosage: Resource = {"dose": dose}
    dosage["route"] = coded_text(ctx, "ROUTE", exposure.route)
    text = []
    if exposure.dose_form:
        text.append(exposure.dose_form)
    if exposure.frequency:
        text.append(exposure.frequency)
    if text:
        dosage["text"] = ", ".join(text)
    collected = {"dose_form": exposure.dose_form, "frequency": exposure.frequency}
    sponsor.with_extension(dosage, sponsor.fields_extension(ctx.extension(sponsor.EXPOSURE), collected))
    medication = medication_ref(ctx, exposure.treatment, exposure.lot)
    resource: Resource = {
        "resourceType": "MedicationAdministration",
        "id": ctx.id("MedicationAdministration", sid, exposure.treatment, exposure.start),
        "identifier": [ctx.identifier("administration", key)],
        "status": "completed",
    }
    concept = {"text": exposure.treatment}
    if ctx.is_r4:
        if medication is not None:
            resource["medicationReference"] = medication
        else:
            resource["medicationCodeableConcept"] = concept
    else:
        resource["medication"] = {"reference": medication} if medication is not None else {"concept": concept}
    resource["subject"] = ctx.ref("Patient", sid)
    visit = encounter_ref(ctx, facts, exposure.visit_num) if exposure.visit_num is not None else None
    if visit is not None:  # VISITNUM: the visit's Encounter (R4 context, R5 encounter)
        resource["context" if ctx.is_r4 else "encounter"] = visit
    when_key = "effective" if ctx.is_r4 else "occurence"  # R5 spells MedicationAdministration.occurence[x] so
    if exposure.end:
        period = datetime_element("start", exposure.start, facts.offset)
        resource[when_key + "Period"] = {**period, **datetime_element("end", exposure.end, facts.offset)}
    else:
        resource.update(datetime_element(when_key + "DateTime", exposure.start, facts.offset))
    intervention = ctx.definition.intervention_for_treatment(exposure.treatment)
    if exposure.preceded_by_date is not None and intervention is not None and intervention.preceded_by is not None:
        resource["supportingInformation"] = [ctx.ref("Procedure", *_preceding_key(exposure, intervention.preceded_by))]
    resource["dosage"] = dosage
    return resource
