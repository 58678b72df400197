"""One AdverseEvent per AE record, following the HL7 Adverse Event Clinical Research IG 1.0.1 (R5) and its R4
backport: actuality `actual`; MedDRA coding (PT, and LLT when coded) with the verbatim term as text; seriousness with
one seriousness-criteria extension per criterion answered (a serious event carries at least one criterion present);
severity (R4 element, R5 ae-severity extension) and CTCAE grade (ae-grade extension); causality to the study product
as NCI codes C53256/C53257/C53258/C53260 (a study's own causality scale, declared by its definition, in the study's
code system); outcome as the NCI code of the CDISC AEOUT term, the IG's required value set (R4 also the R4 core code);
onset/resolution; the collection date (AEDTC) as recordedDate; the sponsor's AESPID as a second identifier (R4,
whose identifier is 0..1: the R5 element's cross-version extension); links to the study, the subject and the
ResearchSubject. AESCAN/AESOD (no ICH criteria, no element) travel in the sponsor seriousness-answers extension.
An AE that meets the IG profile AdverseEvent-clinical-research declares it in `meta.profile` (see
`meets_clinical_research_profile`).

An AE incomplete at a data cut (records allow no start, seriousness, severity, causality, action or outcome) gets
no element for what it lacks, never an invented value: no R4 `date` / R5 `occurrencePeriod.start` (the period is
left out when there is no end either), no `seriousness` (and no criteria extensions), no severity, no
`suspectEntity` (what causality is assessed against is only stated with an assessment), no mitigating action, no
`outcome`. Core FHIR allows all of these to be absent (R4 date 0..1, R5 occurrence[x] 0..1, seriousness and
outcome 0..1/0..*), so the resource stays valid; but such an AE does NOT meet the IG profile
AdverseEvent-clinical-research, which makes `seriousness` and `outcome` 1..1 (and whose invariant
aeClinRes-seriousness-1 needs a seriousness coding) — it is reported as collected, not made to conform.
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_study import medication_ref
from trialinterop.fhir.collected import R4_AE_IDENTIFIER, spid_identifier
from trialinterop.fhir.context import Context
from trialinterop.fhir.dates import datetime_element, fhir_datetime, record_dtc
from trialinterop.fhir.facts import SubjectFacts
from trialinterop.fhir.text import fhir_string, fhir_text
from trialinterop.source.models import SERIOUSNESS_CRITERIA, AdverseEvent

Resource = dict[str, Any]


def _meddra(code: int, name: str | None, version: str | None) -> Resource:
    coding: Resource = {"system": codes.MEDDRA, "code": str(code)}
    display = fhir_text(name)
    if display:
        coding["display"] = display
    if version:
        coding["version"] = version
    return coding


def _event_code(ae: AdverseEvent) -> Resource:
    """MedDRA PT (AEDECOD) first, then the LLT (userSelected) when it differs; the verbatim term as text. A PT named
    without its code (a package that submits AEDECOD but not AEPTCD) is a MedDRA Coding with its display only: the
    dictionary term is still told apart from the verbatim one."""
    coding = []
    if ae.pt_code is not None:
        coding.append(_meddra(ae.pt_code, ae.pt, ae.meddra_version))
    elif fhir_text(ae.pt):
        uncoded: Resource = {"system": codes.MEDDRA, "display": fhir_text(ae.pt)}
        if ae.meddra_version:
            uncoded["version"] = ae.meddra_version
        coding.append(uncoded)
    if ae.llt_code is not None and ae.llt_code != ae.pt_code:
        coding.append({**_meddra(ae.llt_code, ae.llt, ae.meddra_version), "userSelected": True})
    concept: Resource = {"text": fhir_string(ae.term)}
    if coding:
        concept["coding"] = coding
    return concept


def _criteria_extensions(ctx: Context, ae: AdverseEvent) -> list[Resource]:
    url = ctx.release.ae_ig_base + "/seriousness-criteria"
    extensions = []
    for name in SERIOUSNESS_CRITERIA:
        answer = getattr(ae, name)
        if answer is None:
            continue
        code, display = codes.SERIOUSNESS_CRITERIA[name]
        concept: Resource = {"coding": [{"system": codes.NCI, "code": code, "display": display}]}
        specify = fhir_text(ae.serious_specify) if name == "medically_important" else None
        if specify:
            concept["text"] = specify
        extensions.append(
            {
                "url": url,
                "extension": [
                    {"url": "criterionCode", "valueCodeableConcept": concept},
                    {"url": "criterionPresent", "valueBoolean": answer == "Y"},
                ],
            }
        )
    return extensions


def _coding_facts(ctx: Context, ae: AdverseEvent) -> Resource | None:
    """MedDRA levels above the PT; the LLT when it has no coding of its own (same code as the PT, or no code); the
    dictionary version when there is no coding to carry it."""
    levels = ["hlt", "hlt_code", "hlgt", "hlgt_code", "soc", "soc_code"]
    if ae.llt_code is None or ae.llt_code == ae.pt_code:
        levels += ["llt", "llt_code"]
    if ae.pt_code is None and not fhir_text(ae.pt):
        levels.append("meddra_version")
    return sponsor.fields_extension(
        ctx.extension(sponsor.MEDDRA_HIERARCHY), {name: getattr(ae, name) for name in levels}
    )


def _criteria_answers(ctx: Context, ae: AdverseEvent, *, serious: bool) -> Resource | None:
    """Seriousness criteria answered for a non-serious event (the IG's criteria extension marks a serious event, so
    these answers, usually all N, travel in the sponsor extension), and for any event the answers to "involves
    cancer" (AESCAN) and "occurred with overdose" (AESOD): no ICH criteria, so neither the IG's seriousness-criteria
    value set nor any element holds them (the Joint Mapping IG lists AESOD as a gap)."""
    names = ("cancer", "overdose") if serious else (*SERIOUSNESS_CRITERIA, "serious_specify", "cancer", "overdose")
    answers = {name: getattr(ae, name) for name in names}
    return sponsor.fields_extension(ctx.extension(sponsor.SERIOUSNESS_ANSWERS), answers)


def _severity(ctx: Context, ae: AdverseEvent) -> Resource | None:
    if ae.severity is None:
        return None
    code, display = codes.SEVERITY[ae.severity]
    return {
        "coding": [{"system": codes.SEVERITY_SYSTEM, "code": code, "display": display}, ctx.nci("AESEV", ae.severity)]
    }


def _grade(ctx: Context, ae: AdverseEvent) -> Resource | None:
    if ae.ctcae_grade is None or ae.ctcae_grade not in codes.CTCAE_GRADE:
        return None
    code, display = codes.CTCAE_GRADE[ae.ctcae_grade]
    return {
        "url": ctx.release.ae_ig_base + "/ae-grade",
        "valueCodeableConcept": codes.concept(codes.NCI, code, display, f"CTCAE grade {ae.ctcae_grade}"),
    }


def _action(ctx: Context, ae: AdverseEvent) -> Resource | None:
    """Action taken with study treatment (AEACN), carried as the IG's mitigating action; None when not recorded."""
    if ae.action is None:
        return None
    return {"coding": [ctx.nci("ACN", ae.action)], "text": f"Action taken with study treatment: {ae.action}"}


def _suspects(ctx: Context, facts: SubjectFacts, ae: AdverseEvent) -> list[dict[str, str]]:
    """What causality is assessed against: the subject's study-product administrations, else the first intervention of
    the subject's assigned arm (of the study when none); none when causality has not been assessed."""
    if ae.relationship is None:
        return []
    if facts.exposures:
        return [ctx.ref("MedicationAdministration", e.subject_id, e.treatment, e.start) for e in facts.exposures]
    arm = facts.assigned_arm
    code = arm.interventions[0] if arm is not None and arm.interventions else ctx.definition.interventions[0].code
    intervention = ctx.definition.intervention(code)
    ref = medication_ref(ctx, intervention.treatment, None) if intervention is not None else None
    return [ref] if ref is not None else []


def meets_clinical_research_profile(ae: AdverseEvent) -> bool:
    """Whether the AE meets the IG profile AdverseEvent-clinical-research as built here: seriousness and outcome
    (1..1 in the profile) are known, and a serious event states at least one seriousness criterion
    (aeClinRes-seriousness-1; a non-serious one carries none, its answers travel in the sponsor extension)."""
    if ae.serious is None or ae.outcome is None:
        return False
    return ae.serious != "Y" or any(getattr(ae, name) is not None for name in SERIOUSNESS_CRITERIA)


def build_adverse_event(ctx: Context, facts: SubjectFacts, ae: AdverseEvent) -> Resource:
    sid = ae.subject_id
    identifier = ctx.identifier("ae", f"{sid}/{ae.ae_id}")
    serious = ae.serious == "Y"
    seriousness = None
    if ae.serious is not None:
        seriousness = {
            "coding": [
                {
                    "system": codes.SERIOUSNESS_SYSTEM,
                    "code": "serious" if serious else "non-serious",
                    "display": "Serious" if serious else "Non-serious",
                }
            ]
        }
    outcome_nci = ctx.nci("OUT", ae.outcome) if ae.outcome is not None else None
    relatedness = {"coding": [ctx.nci("AEREL", ae.relationship)]} if ae.relationship is not None else None
    severity = _severity(ctx, ae)
    action = _action(ctx, ae)
    extensions = _criteria_extensions(ctx, ae) if serious else []
    grade = _grade(ctx, ae)
    if grade is not None:
        extensions.append(grade)
    sponsor.with_extension({"extension": extensions}, _coding_facts(ctx, ae))
    sponsor.with_extension({"extension": extensions}, _criteria_answers(ctx, ae, serious=serious))
    spid = spid_identifier(ctx, "AE", ae.sponsor_id)
    if spid is not None and ctx.is_r4:
        extensions.append({"url": R4_AE_IDENTIFIER, "valueIdentifier": spid})
    status = codes.AE_STATUS_COMPLETED if ae.end else codes.AE_STATUS_IN_PROGRESS
    resource: Resource = {"resourceType": "AdverseEvent", "id": ctx.id("AdverseEvent", sid, ae.ae_id)}
    base = ctx.release.ae_ig_base
    if meets_clinical_research_profile(ae):
        resource["meta"] = {"profile": [base + "/AdverseEvent-clinical-research"]}
    if ctx.is_r4:
        extensions.append({"url": base + "/research-subject-ref", "valueReference": ctx.ref("ResearchSubject", sid)})
        if ae.end:
            resolved = fhir_datetime(ae.end, facts.offset)
            extensions.append({"url": base + "/resolve-date", "valueDateTime": resolved})
            if record_dtc(resolved) != ae.end:  # fhir.resources rejects a primitive extension inside an extension
                sponsor.with_extension(
                    {"extension": extensions}, sponsor.fields_extension(ctx.extension(sponsor.AE_END), {"end": ae.end})
                )
        for suspect in _suspects(ctx, facts, ae):
            causality = [{"url": "entityRelatedness", "valueCodeableConcept": relatedness}]
            extensions.append(
                {
                    "url": base + "/suspect-entity",
                    "extension": [
                        {"url": "instance", "valueReference": suspect},
                        {"url": "causality", "extension": causality},
                    ],
                }
            )
        if action is not None:
            extensions.append(
                {"url": base + "/mitigating-action", "extension": [{"url": "item", "valueCodeableConcept": action}]}
            )
        resource["extension"] = extensions
        resource["modifierExtension"] = [{"url": base + "/status", "valueCode": status}]
        resource["identifier"] = identifier
        resource["actuality"] = "actual"
        resource["event"] = _event_code(ae)
        resource["subject"] = ctx.ref("Patient", sid)
        if ae.start:
            resource.update(datetime_element("date", ae.start, facts.offset))
        if ae.collection_date:
            resource.update(datetime_element("recordedDate", ae.collection_date, facts.offset))
        if seriousness is not None:
            resource["seriousness"] = seriousness
        if severity is not None:
            resource["severity"] = severity
        if ae.outcome is not None:
            resource["outcome"] = {
                "coding": [
                    {"system": codes.R4_AE_OUTCOME_SYSTEM, "code": codes.R4_AE_OUTCOME[ae.outcome]},
                    outcome_nci,
                ]
            }
        resource["study"] = [ctx.ref("ResearchStudy", "study")]
        return resource
    if severity is not None:
        extensions.append({"url": base + "/ae-severity", "valueCodeableConcept": severity})
    resource["extension"] = extensions
    resource["identifier"] = [identifier] if spid is None else [identifier, spid]
    resource["status"] = status
    resource["actuality"] = "actual"
    resource["code"] = _event_code(ae)
    resource["subject"] = ctx.ref("Patient", sid)
    period: Resource = datetime_element("start", ae.start, facts.offset) if ae.start else {}
    if ae.end:
        period.update(datetime_element("end", ae.end, facts.offset))
    if period:
        resource["occurrencePeriod"] = period
    if ae.collection_date:
        resource.update(datetime_element("recordedDate", ae.collection_date, facts.offset))
    if seriousness is not None:
        resource["seriousness"] = seriousness
    if outcome_nci is not None:
        resource["outcome"] = [{"coding": [outcome_nci]}]
    resource["study"] = [ctx.ref("ResearchStudy", "study")]
    if action is not None:
        resource["mitigatingAction"] = [{"itemCodeableConcept": action}]
    suspects = [
        {"instanceReference": suspect, "causality": {"entityRelatedness": relatedness}}
        for suspect in _suspects(ctx, facts, ae)
    ]
    if suspects:
        resource["suspectEntity"] = suspects
    return resource
