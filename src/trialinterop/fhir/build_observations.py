"""Observations: the 17 mRSS body-area scores and the total (sponsor CodeSystem of the QSTESTCD codes MRSS0101..
MRSS0118; no LOINC/SNOMED CT code for the mRSS total was found), spirometry (LOINC 19868-9 FVC by spirometry in L,
19869-7 predicted FVC in L, 19872-1 FVC measured/predicted in %), and eligibility exceptions (criterion answered
against the subject). Same shape in R4 and R5. An assessment not done gives one `cancelled` Observation with a
data-absent reason; an area not scored in a done assessment gives `dataAbsentReason` not-performed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialinterop.fhir import codes
from trialinterop.fhir.build_care import encounter_ref
from trialinterop.fhir.build_study import visit_code
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import datetime_element
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_text
from trialinterop.source.models import MRSS_AREAS, EligibilityException, SkinScore, Spirometry

Resource = dict[str, Any]

MRSS_TESTCD = tuple(f"MRSS01{n:02d}" for n in range(1, 18))
AREA_LABEL = {area: area.replace("_", " ").capitalize() for area in MRSS_AREAS}


def _category(code: str) -> list[Resource]:
    return [{"coding": [{"system": codes.OBS_CATEGORY_SYSTEM, "code": code}]}]


def _absent(code: str, text: str | None = None) -> Resource:
    concept: Resource = {"coding": [{"system": codes.DATA_ABSENT_SYSTEM, "code": code}]}
    cleaned = fhir_text(text)
    if cleaned:
        concept["text"] = cleaned
    return concept


def _observation(
    ctx: Context, facts: SubjectFacts, key: str, category: str, code: Resource, visit_num: float, when: str | None
) -> Resource:
    sid = facts.subject.subject_id
    resource: Resource = {
        "resourceType": "Observation",
        "id": ctx.id("Observation", sid, key),
        "identifier": [ctx.identifier("observation", f"{sid}/{key}")],
        "status": "final",
        "category": _category(category),
        "code": code,
        "subject": ctx.ref("Patient", sid),
    }
    encounter = encounter_ref(ctx, facts, visit_num)
    if encounter is not None:
        resource["encounter"] = encounter
    if when:
        resource["effectiveDateTime"] = when
    return resource


def _mrss_code(ctx: Context, testcd: str, display: str) -> Resource:
    return {
        "coding": [
            {"system": codes.sponsor_code_system(ctx.study_key, "qstestcd"), "code": testcd, "display": display}
        ],
        "text": display,
    }


def build_skin_score(ctx: Context, facts: SubjectFacts, score: SkinScore) -> Iterator[Resource]:
    visit = visit_code(score.visit_num)
    when = score.assessment_date
    total_code = _mrss_code(ctx, codes.MRSS_TOTAL_TESTCD, "Modified Rodnan skin score, total")
    total = _observation(ctx, facts, f"{visit}/{codes.MRSS_TOTAL_TESTCD}", "exam", total_code, score.visit_num, when)
    if score.not_done_reason is not None or when is None:
        total["status"] = "cancelled"
        total["dataAbsentReason"] = _absent("not-performed", score.not_done_reason)
        yield total
        return
    for testcd, area, value in zip(MRSS_TESTCD, MRSS_AREAS, score.scores, strict=True):
        label = AREA_LABEL[area]
        area_code = _mrss_code(ctx, testcd, f"mRSS {label}")
        area_obs = _observation(ctx, facts, f"{visit}/{testcd}", "exam", area_code, score.visit_num, when)
        area_obs["bodySite"] = {"text": label}
        if value is None:
            area_obs["dataAbsentReason"] = _absent("not-performed")
        else:
            area_obs["valueInteger"] = value
        yield area_obs
    value = score.total if score.total is not None else score.derived_total
    if value is None:
        total["dataAbsentReason"] = _absent("unknown", "not all 17 areas scored and no total collected")
    else:
        total["valueInteger"] = value
        if score.total is None:
            total["method"] = {"text": "Derived: sum of the 17 area scores"}
    total["hasMember"] = [ctx.ref("Observation", facts.subject.subject_id, f"{visit}/{cd}") for cd in MRSS_TESTCD]
    yield total


def _loinc(code: tuple[str, str]) -> Resource:
    return {"coding": [{"system": codes.LOINC, "code": code[0], "display": code[1]}], "text": code[1]}


def build_spirometry(ctx: Context, facts: SubjectFacts, test: Spirometry) -> Iterator[Resource]:
    visit = visit_code(test.visit_num)
    when = datetime_element("effectiveDateTime", test.test_datetime, facts.offset) if test.test_datetime else {}

    def observation(key: str, code: Resource) -> Resource:
        resource = _observation(ctx, facts, f"{visit}/{key}", "procedure", code, test.visit_num, None)
        resource.update(when)
        return resource

    fvc = observation("FVC", _loinc(codes.LOINC_FVC))
    if test.position:
        position: Resource = {"code": {"text": "Subject position"}}
        if ctx.terminology.has("POSITION", test.position):
            position["valueCodeableConcept"] = {"coding": [ctx.nci("POSITION", test.position)], "text": test.position}
        else:
            position["valueString"] = test.position
        fvc["component"] = [position]
    if test.not_done_reason is not None:
        fvc["status"] = "cancelled"
        fvc["dataAbsentReason"] = _absent("not-performed", test.not_done_reason)
        yield fvc
        return
    if test.fvc_l is None:
        fvc["dataAbsentReason"] = _absent("not-performed")
    else:
        fvc["valueQuantity"] = {"value": test.fvc_l, "unit": "L", "system": codes.UCUM, "code": "L"}
    yield fvc
    if test.fvc_predicted_l is not None:
        predicted = observation("FVCPRED", _loinc(codes.LOINC_FVC_PREDICTED))
        predicted["valueQuantity"] = {"value": test.fvc_predicted_l, "unit": "L", "system": codes.UCUM, "code": "L"}
        predicted["derivedFrom"] = [ctx.ref("Observation", facts.subject.subject_id, f"{visit}/FVC")]
        yield predicted
    if test.fvc_percent_predicted is not None:
        percent = observation("FVCPP", _loinc(codes.LOINC_FVC_PERCENT))
        percent["valueQuantity"] = {"value": test.fvc_percent_predicted, "unit": "%", "system": codes.UCUM, "code": "%"}
        percent["derivedFrom"] = [ctx.ref("Observation", facts.subject.subject_id, f"{visit}/FVC")]
        yield percent


def build_eligibility_exception(ctx: Context, facts: SubjectFacts, row: EligibilityException) -> Resource:
    criterion = ctx.study.criterion(row.criterion_id)
    display = criterion.short or criterion.text if criterion is not None else row.criterion_id
    system = codes.sponsor_code_system(ctx.study_key, "criteria")
    text = criterion.text if criterion is not None else row.criterion_id
    code = codes.concept(system, row.criterion_id, display, text)
    sid = facts.subject.subject_id
    resource: Resource = {
        "resourceType": "Observation",
        "id": ctx.id("Observation", sid, f"IE/{row.criterion_id}"),
        "identifier": [ctx.identifier("observation", f"{sid}/IE/{row.criterion_id}")],
        "status": "final",
        "category": _category("survey"),
        "code": code,
        "subject": ctx.ref("Patient", sid),
    }
    if row.assessment_date:
        resource["effectiveDateTime"] = row.assessment_date
    resource["valueBoolean"] = row.result == "Y"
    return resource
