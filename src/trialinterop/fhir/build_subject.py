"""One subject as FHIR: Patient (no names; sponsor subject identifier), Consent (informed consent date = RFICDTC),
ResearchSubject (site-level study, arm, state, enrolment and end dates) and, when collected, Observations of age and
of the definition's subject attributes (`subjects.attributes`, e.g. a stratification factor; sponsor CodeSystem
`-subject-characteristic`, code = the attribute's QNAM or name).
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_design import arm_link_id
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import datetime_element, fhir_date
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_string

Resource = dict[str, Any]


def _omb_extension(url: str, values: tuple[str, ...], table: dict[str, tuple[str, str, str]]) -> Resource:
    extension: list[Resource] = []
    for value in values:
        found = table.get(value)
        if found is not None:
            system, code, display = found
            extension.append(
                {"url": "ombCategory", "valueCoding": {"system": system, "code": code, "display": display}}
            )
    extension.append({"url": "text", "valueString": "|".join(values)})
    return {"url": url, "extension": extension}


def build_patient(ctx: Context, facts: SubjectFacts) -> Resource:
    subject = facts.subject
    patient: Resource = {
        "resourceType": "Patient",
        "id": ctx.id("Patient", subject.subject_id),
        "identifier": [ctx.identifier("subject", subject.subject_id)],
        "gender": codes.GENDER[subject.sex],
    }
    extensions = []
    if subject.race:
        extensions.append(_omb_extension(codes.US_CORE_RACE, subject.race, codes.RACE_OMB))
    if subject.ethnicity:
        extensions.append(_omb_extension(codes.US_CORE_ETHNICITY, (subject.ethnicity,), codes.ETHNICITY_OMB))
    collected = sponsor.fields_extension(
        ctx.extension(sponsor.DEMOGRAPHICS), {"collection_date": subject.collection_date}
    )
    if collected is not None:
        extensions.append(collected)
    if extensions:
        patient["extension"] = extensions
    if subject.birth_date:
        patient["birthDate"] = fhir_date(subject.birth_date)
    if subject.death_date:
        patient.update(datetime_element("deceasedDateTime", subject.death_date, facts.offset))
    patient["address"] = [{"country": subject.country}]
    return patient


def build_consent(ctx: Context, facts: SubjectFacts) -> Resource:
    subject = facts.subject
    category = [codes.concept(codes.LOINC, *codes.LOINC_PATIENT_CONSENT)]
    consent: Resource = {
        "resourceType": "Consent",
        "id": ctx.id("Consent", subject.subject_id),
        "identifier": [ctx.identifier("consent", subject.subject_id)],
        "status": "active",
        "category": category,
    }
    if ctx.is_r4:
        consent["scope"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]
        }
        consent["patient"] = ctx.ref("Patient", subject.subject_id)
        consent["dateTime"] = subject.consent_date
        consent["policyRule"] = {"text": f"Informed consent to take part in {ctx.study.nct_id}"}
    else:
        consent["subject"] = ctx.ref("Patient", subject.subject_id)
        consent["date"] = fhir_date(subject.consent_date or "")
        consent["decision"] = "permit"
    return consent


def build_research_subject(ctx: Context, facts: SubjectFacts) -> Resource:
    subject = facts.subject
    period: Resource = {"start": subject.consent_date} if subject.consent_date else {}
    if facts.end_date:
        period["end"] = facts.end_date
    resource: Resource = {
        "resourceType": "ResearchSubject",
        "id": ctx.id("ResearchSubject", subject.subject_id),
        "identifier": [ctx.identifier("subject", subject.subject_id)],
        "period": period,
        "study": ctx.ref("ResearchStudy", "site", subject.site_id),
    }
    if subject.consent_date:  # no Consent resource when the source records no consent date
        resource["consent"] = ctx.ref("Consent", subject.subject_id)
    if not period:
        del resource["period"]
    for row in facts.dispositions:
        fields = {
            "event": row.event,
            "term": row.term,
            "event_date": row.event_date,
            "last_contact_date": row.last_contact_date,
            "visit_num": row.visit_num,
            "collection_date": row.collection_date,
            "sponsor_id": row.sponsor_id,
            "category": row.category or None,  # OTHER EVENT; absent for a disposition event
        }
        sponsor.with_extension(resource, sponsor.fields_extension(ctx.extension(sponsor.DISPOSITION), fields))
    for u in facts.unplanned_elements:
        fields = {"start": u.start, "end": u.end, "description": u.description, "epoch": u.epoch}
        sponsor.with_extension(resource, sponsor.fields_extension(ctx.extension(sponsor.UNPLANNED_ELEMENT), fields))
    if ctx.is_r4:
        resource["status"] = facts.state
        resource["individual"] = ctx.ref("Patient", subject.subject_id)
        if facts.assigned_arm is not None:
            resource["assignedArm"] = facts.assigned_arm.name
        if facts.actual_arm is not None:
            resource["actualArm"] = facts.actual_arm.name
        return resource
    resource["status"] = "active"
    progress: Resource = {
        "type": {"coding": [{"system": codes.SUBJECT_STATE_TYPE_SYSTEM, "code": "Enrollment"}]},
        "subjectState": {"coding": [{"system": codes.SUBJECT_STATE_SYSTEM, "code": facts.state}]},
    }
    if subject.consent_date:
        progress["startDate"] = subject.consent_date
    if facts.end_reason is not None:
        event = facts.end_reason.event
        reason: Resource = {"text": fhir_string(facts.end_reason.term)}
        if ctx.terminology.has("NCOMPLT", event):
            reason["coding"] = [ctx.nci("NCOMPLT", event)]
        progress["reason"] = reason
    if facts.end_date:
        progress["endDate"] = facts.end_date
    resource["progress"] = [progress]
    resource["subject"] = ctx.ref("Patient", subject.subject_id)
    if "consent" in resource:
        resource["consent"] = [resource["consent"]]
    if facts.assigned_arm is not None:
        resource["assignedComparisonGroup"] = arm_link_id(facts.assigned_arm.code)
    if facts.actual_arm is not None:
        resource["actualComparisonGroup"] = arm_link_id(facts.actual_arm.code)
    return resource


def build_age_observation(ctx: Context, facts: SubjectFacts) -> Resource | None:
    """Age at informed consent when collected instead of a full birth date (LOINC 30525-0, UCUM 'a')."""
    subject = facts.subject
    if subject.age is None:
        return None
    return {
        "resourceType": "Observation",
        "id": ctx.id("Observation", subject.subject_id, "AGE"),
        "identifier": [ctx.identifier("observation", f"{subject.subject_id}/AGE")],
        "status": "final",
        "code": {"coding": [{"system": codes.LOINC, "code": codes.LOINC_AGE[0], "display": codes.LOINC_AGE[1]}]},
        "subject": ctx.ref("Patient", subject.subject_id),
        **({"effectiveDateTime": subject.consent_date} if subject.consent_date else {}),
        "valueQuantity": {"value": subject.age, "unit": "years", "system": codes.UCUM, "code": "a"},
    }


def build_attribute_observations(ctx: Context, facts: SubjectFacts) -> list[Resource]:
    """One Observation per subject attribute of the definition the subject has a value for: a Y/N attribute as
    valueBoolean, any other as valueCodeableConcept text."""
    subject = facts.subject
    system = ctx.code_system("subject-characteristic")
    resources = []
    for attribute in ctx.definition.subjects.attributes:
        value = subject.attribute(attribute.name)
        if value is None:
            continue
        code = attribute.qnam or attribute.name
        if set(attribute.values) == {"Y", "N"}:
            answer: Resource = {"valueBoolean": value == "Y"}
        else:
            answer = {"valueCodeableConcept": {"text": fhir_string(value)}}
        resources.append(
            {
                "resourceType": "Observation",
                "id": ctx.id("Observation", subject.subject_id, code),
                "identifier": [ctx.identifier("observation", f"{subject.subject_id}/{code}")],
                "status": "final",
                "code": codes.concept(system, code, attribute.label, attribute.label),
                "subject": ctx.ref("Patient", subject.subject_id),
                **answer,
            }
        )
    return resources
