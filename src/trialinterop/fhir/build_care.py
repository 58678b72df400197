"""What happened to a subject: visits as Encounters, study-product administrations as MedicationAdministrations
(Medication per intervention and lot), and the apheresis for the autologous T-cell vaccine as a Procedure.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_study import medication_ref, visit_code
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
        "coding": [{"system": codes.sponsor_code_system(ctx.study_key, "visit"), "code": code, "display": name}],
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


def build_apheresis(ctx: Context, facts: SubjectFacts, exposure: Exposure) -> Resource | None:
    """The T-cell collection (apheresis) behind an autologous vaccine administration."""
    if exposure.apheresis_date is None:
        return None
    resource: Resource = {
        "resourceType": "Procedure",
        "id": ctx.id("Procedure", exposure.subject_id, "APHERESIS", exposure.apheresis_date),
        "identifier": [ctx.identifier("procedure", f"{exposure.subject_id}/APHERESIS/{exposure.apheresis_date}")],
        "status": "completed",
        "code": {"text": f"Apheresis (T-cell collection for {exposure.treatment})"},
        "subject": ctx.ref("Patient", exposure.subject_id),
    }
    name = "performedDateTime" if ctx.is_r4 else "occurrenceDateTime"
    resource.update(datetime_element(name, exposure.apheresis_date, facts.offset))
    return resource


def _dose(ctx: Context, exposure: Exposure) -> Resource:
    quantity: Resource = {"value": exposure.dose, "unit": exposure.dose_unit}
    if ctx.terminology.has("UNIT", exposure.dose_unit):
        quantity["system"] = codes.NCI
        quantity["code"] = ctx.terminology.code("UNIT", exposure.dose_unit)
    return quantity


def build_administration(ctx: Context, facts: SubjectFacts, exposure: Exposure) -> Resource:
    sid = exposure.subject_id
    key = f"{sid}/{exposure.treatment}/{exposure.start}"
    dosage: Resource = {"dose": _dose(ctx, exposure)}
    if ctx.terminology.has("ROUTE", exposure.route):
        dosage["route"] = {"coding": [ctx.nci("ROUTE", exposure.route)], "text": exposure.route}
    else:
        dosage["route"] = {"text": exposure.route}
    text = []
    if exposure.dose_form:
        text.append(exposure.dose_form)
    if exposure.frequency:
        text.append(exposure.frequency)
    if text:
        dosage["text"] = ", ".join(text)
    collected = {"dose_form": exposure.dose_form, "frequency": exposure.frequency}
    sponsor.with_extension(dosage, sponsor.fields_extension(sponsor.EXPOSURE, collected))
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
    when_key = "effective" if ctx.is_r4 else "occurence"  # R5 spells MedicationAdministration.occurence[x] so
    if exposure.end:
        period = datetime_element("start", exposure.start, facts.offset)
        resource[when_key + "Period"] = {**period, **datetime_element("end", exposure.end, facts.offset)}
    else:
        resource.update(datetime_element(when_key + "DateTime", exposure.start, facts.offset))
    if exposure.apheresis_date is not None:
        resource["supportingInformation"] = [
            ctx.ref("Procedure", exposure.subject_id, "APHERESIS", exposure.apheresis_date)
        ]
    resource["dosage"] = dosage
    return resource
