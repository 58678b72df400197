"""A subject's concomitant medications as MedicationStatements and medical history as Conditions.

MedicationStatement: the medication as collected (CMTRT) is the concept's text, the standardised name (CMDECOD, e.g.
a WHODrug preferred name) a coding display (the records hold no drug code); the "ongoing" answer is the R4 status
(active / completed / unknown) or the R5 adherence (taking / stopped; R5 status is `recorded`); start and end are the
effectivePeriod, the indication the reason text; one Dosage with the dose Quantity, the route and the frequency as
timing code (NCI coded when the terminology has the ROUTE / FREQ / UNIT term). The ATC class has no element: it
travels in the sponsor concomitant-medication extension. The collection date (CMDTC) is dateAsserted.

Condition: a problem-list item (plus the collected category as a text-only category); the term as code text and the
MedDRA PT name (MHDECOD) as a MedDRA coding display (the records hold no MedDRA code); onset and abatement dateTimes;
clinicalStatus active / resolved from the "ongoing" answer; verificationStatus confirmed; severity (MHSEV, NCI coded
when an AESEV term); the collection date (MHDTC) as recordedDate. The MedDRA body system (MHBODSYS) travels in the
sponsor medical-history extension; the LLT, HLT and HLGT names in the sponsor meddra-hierarchy extension, as on an
AdverseEvent (the records hold names without codes, and a code-less MedDRA Coding cannot say its level: one system
URI serves every level).

Both: the sponsor's --SPID as a second identifier and the visit (VISITNUM) as the Encounter reference (R4
MedicationStatement.context, R5 .encounter; Condition.encounter), see `collected`.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_care import coded_text, dose_quantity
from trialinterop.fhir.collected import spid_identifier, visit_ref
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import datetime_element
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_string, fhir_text
from trialinterop.source.models import ConcomitantMedication, MedicalHistoryEvent

Resource = dict[str, Any]


def _period(start: str | None, end: str | None, offset: str | None) -> Resource:
    """A Period of the collected start and end ({} when neither was collected)."""
    period: Resource = datetime_element("start", start, offset) if start else {}
    if end:
        period.update(datetime_element("end", end, offset))
    return period


def _concept(text: str, coding: Resource | None) -> Resource:
    """CodeableConcept: the collected term as text, with `coding` when given."""
    concept: Resource = {"text": fhir_string(text)}
    if coding is not None:
        concept["coding"] = [coding]
    return concept


def _decoded(system: str | None, name: str | None) -> Resource | None:
    """A Coding naming a dictionary term without its code (the records carry only the name)."""
    display = fhir_text(name)
    if display is None:
        return None
    return {"system": system, "display": display} if system else {"display": display}


def _identifiers(ctx: Context, domain: str, key: str, sponsor_id: str | None) -> list[Resource]:
    """The record key in the study's `cm`/`mh` system, then the collected --SPID (`collected.spid_identifier`)."""
    found = [ctx.identifier(domain.lower(), key)]
    spid = spid_identifier(ctx, domain, sponsor_id)
    return found if spid is None else [*found, spid]


def _dosage(ctx: Context, cm: ConcomitantMedication) -> Resource | None:
    """One Dosage with only what was collected; None when nothing was."""
    dosage: Resource = {}
    quantity = dose_quantity(ctx, cm.dose, cm.dose_unit)
    if quantity is not None:
        dosage["doseAndRate"] = [{"doseQuantity": quantity}]
    route, frequency = fhir_text(cm.route), fhir_text(cm.frequency)
    if route:
        dosage["route"] = coded_text(ctx, "ROUTE", route)
    if frequency:
        dosage["timing"] = {"code": coded_text(ctx, "FREQ", frequency)}
    return dosage or None


def build_medication_statement(ctx: Context, facts: SubjectFacts, cm: ConcomitantMedication) -> Resource:
    sid = cm.subject_id
    resource: Resource = {
        "resourceType": "MedicationStatement",
        "id": ctx.id("MedicationStatement", sid, cm.cm_id),
        "identifier": _identifiers(ctx, "CM", f"{sid}/{cm.cm_id}", cm.sponsor_id),
    }
    sponsor.with_extension(
        resource, sponsor.fields_extension(ctx.extension(sponsor.CONCOMITANT_MEDICATION), {"atc_class": cm.atc_class})
    )
    medication = _concept(cm.term, _decoded(None, cm.decoded))
    indication = fhir_text(cm.indication)
    if ctx.is_r4:
        resource["status"] = codes.R4_STATEMENT_STATUS.get(cm.ongoing, "unknown")
        resource["medicationCodeableConcept"] = medication
    else:
        resource["status"] = "recorded"
        resource["medication"] = {"concept": medication}
    resource["subject"] = ctx.ref("Patient", sid)
    visit = visit_ref(ctx, facts, cm.visit_num)
    if visit is not None:
        resource["context" if ctx.is_r4 else "encounter"] = visit
    period = _period(cm.start, cm.end, facts.offset)
    if period:
        resource["effectivePeriod"] = period
    if cm.collection_date:
        resource.update(datetime_element("dateAsserted", cm.collection_date, facts.offset))
    if indication and ctx.is_r4:
        resource["reasonCode"] = [{"text": indication}]
    elif indication:
        resource["reason"] = [{"concept": {"text": indication}}]
    dosage = _dosage(ctx, cm)
    if dosage is not None:
        resource["dosage"] = [dosage]
    if not ctx.is_r4 and cm.ongoing in codes.R5_ADHERENCE:
        code, display = codes.R5_ADHERENCE[cm.ongoing]
        resource["adherence"] = {"code": codes.concept(codes.R5_ADHERENCE_SYSTEM, code, display)}
    return resource


def _clinical_status(ctx: Context, ongoing: str | None) -> Resource | None:
    """active / resolved from the ongoing answer; without one, R5's `unknown` (clinicalStatus is 1..1 there), no
    element in R4 (whose code system has no `unknown`)."""
    if ongoing not in codes.CONDITION_CLINICAL or (ongoing is None and ctx.is_r4):
        return None
    code, display = codes.CONDITION_CLINICAL[ongoing]
    return codes.concept(codes.CONDITION_CLINICAL_SYSTEM, code, display)


def build_history_condition(ctx: Context, facts: SubjectFacts, mh: MedicalHistoryEvent) -> Resource:
    sid = mh.subject_id
    resource: Resource = {
        "resourceType": "Condition",
        "id": ctx.id("Condition", sid, mh.mh_id),
        "identifier": _identifiers(ctx, "MH", f"{sid}/{mh.mh_id}", mh.sponsor_id),
    }
    sponsor.with_extension(
        resource, sponsor.fields_extension(ctx.extension(sponsor.MEDICAL_HISTORY), {"body_system": mh.body_system})
    )
    levels = {"llt": mh.llt, "hlt": mh.hlt, "hlgt": mh.hlgt}
    sponsor.with_extension(resource, sponsor.fields_extension(ctx.extension(sponsor.MEDDRA_HIERARCHY), levels))
    status = _clinical_status(ctx, mh.ongoing)
    if status is not None:
        resource["clinicalStatus"] = status
    resource["verificationStatus"] = codes.concept(codes.CONDITION_VERIFICATION_SYSTEM, "confirmed", "Confirmed")
    categories = [codes.concept(codes.CONDITION_CATEGORY_SYSTEM, "problem-list-item", "Problem List Item")]
    category = fhir_text(mh.category)
    if category:
        categories.append({"text": category})
    resource["category"] = categories
    severity = fhir_text(mh.severity)
    if severity:
        resource["severity"] = coded_text(ctx, "AESEV", severity)
    resource["code"] = _concept(mh.term, _decoded(codes.MEDDRA, mh.decoded))
    resource["subject"] = ctx.ref("Patient", sid)
    visit = visit_ref(ctx, facts, mh.visit_num)
    if visit is not None:
        resource["encounter"] = visit
    if mh.start:
        resource.update(datetime_element("onsetDateTime", mh.start, facts.offset))
    if mh.end:
        resource.update(datetime_element("abatementDateTime", mh.end, facts.offset))
    if mh.collection_date:
        resource.update(datetime_element("recordedDate", mh.collection_date, facts.offset))
    return resource
