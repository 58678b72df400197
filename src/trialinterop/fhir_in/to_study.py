"""The registry record (`Study`) rebuilt from FHIR: the main ResearchStudy (identifiers, title, status, conditions,
arms, objectives, target enrolment), its site-level ResearchStudies (partOf the main one; SITEID = identifier, as the
HL7 FHIR-to-CDISC Joint Mapping IG assumes) with their Locations, the sponsor Organization, the study Medications
(interventions), the eligibility Group (criteria) and the protocol PlanDefinition (visit schedule).

Facts FHIR has no element for come from the sponsor extensions (fhir.sponsor); input without them (another tool's
export) falls back to the standard elements; a fact SDTM needs that is nowhere is an error naming where it was
looked for, any other is assumed or left unknown with a warning (fhir_in.registry). `--study study.json` replaces all
of this (fhir_in.given_study).
"""

from __future__ import annotations

from typing import Any

from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.arms import study_arms
from trialinterop.fhir_in.interventions import study_interventions
from trialinterop.fhir_in.load import FhirInput, Located, fail
from trialinterop.fhir_in.registry import RegistryFacts
from trialinterop.fhir_in.values import (
    code_in,
    codings,
    extension_value,
    fields,
    identifier_value,
    reverse,
)
from trialinterop.fhir_in.visits import planned_visits
from trialinterop.source import models as m

Resource = dict[str, Any]
DUNS_SYSTEM = "urn:oid:1.3.6.1.4.1.519.1"
SPONSOR_SID = codes.SPONSOR_BASE + "/sid/"
NO_SPONSOR = "no sponsor Organization with a name: sponsor name (TS SPONSOR) unknown"


def main_study(fhir: FhirInput) -> Located:
    """The overall ResearchStudy: the one the site studies are partOf, else the only one without partOf."""
    studies = fhir.of_type("ResearchStudy")
    if not studies:
        raise fail("no ResearchStudy in the input: the trial cannot be identified", where=str(fhir.source))
    parents = [
        fhir.resolve(ref, s, "ResearchStudy.partOf", "ResearchStudy")
        for s in studies
        for ref in s.resource.get("partOf") or []
    ]
    if parents:
        return parents[0]
    roots = [s for s in studies if not s.resource.get("partOf")]
    if len(roots) != 1:
        raise fail(f"{len(roots)} ResearchStudy resources and none is partOf another: which is the trial?")
    return roots[0]


def study_id_of(item: Located) -> str:
    resource = item.resource
    for identifier in resource.get("identifier") or []:
        system = identifier.get("system") or ""
        if system.startswith(SPONSOR_SID) and system.endswith("-study") and identifier.get("value"):
            return identifier["value"]
    found = identifier_value(resource, codes.CTGOV) or identifier_value(resource, None)
    if not found:
        raise item.fail("ResearchStudy.identifier", "the study has no identifier (STUDYID)")
    return found


def build_study(fhir: FhirInput, item: Located) -> m.Study:
    """The registry record from the main ResearchStudy `item` and the resources around it."""
    is_r4 = fhir.version == "R4"
    interventions, sites = study_interventions(fhir), _sites(fhir, item, is_r4)
    fhir.current = item
    study = item.resource
    study_id = study_id_of(item)
    plan = _protocol(fhir, item)
    if not isinstance(study.get("title"), str):
        raise item.fail("ResearchStudy.title", "required: the study title")
    registry = RegistryFacts(item, plan)
    design = _design_texts(study.get("category" if is_r4 else "studyDesign"))
    organization = _sponsor(fhir, item, is_r4)
    target = (
        extension_value(study, codes.TARGET_NUMBER_EXTENSION)
        if is_r4
        else (study.get("recruitment") or {}).get("targetNumber")
    )
    if not isinstance(target, int | float):
        element = f"ResearchStudy.extension({codes.TARGET_NUMBER_EXTENSION})" if is_r4 else "ResearchStudy.recruitment"
        fhir.warn(item, element, "no target enrolment: assumed 0 (TS PLANSUB)")
    if not organization.get("name"):
        fhir.warn(item, "ResearchStudy.sponsor" if is_r4 else "ResearchStudy.associatedParty", NO_SPONSOR)
    fact = registry.fact
    purpose = reverse(codes.PURPOSE, code_in(study.get("primaryPurposeType"), codes.PURPOSE_SYSTEM))
    design_facts = {
        "overall_status": fact("overall_status", _status(study, is_r4), required=True),
        "study_type": fact("study_type", design.get("Study type"), required=True),
        "allocation": fact("allocation", design.get("Allocation"), required=True),
        "intervention_model": fact("intervention_model", design.get("Intervention model"), required=True),
        "masking": fact("masking", design.get("Masking"), required=True),
        "primary_purpose": fact("primary_purpose", purpose, required=True),
    }
    registry.require()
    result = m.Study(
        study_id=study_id,
        nct_id=identifier_value(study, codes.CTGOV) or study_id,
        brief_title=study["title"],
        official_title=fact("official_title", _official_title(study), assumed=(study["title"], "ResearchStudy.title")),
        sponsor_name=organization.get("name") or "",
        **design_facts,
        enrollment_target=int(target) if isinstance(target, int | float) else 0,
        conditions=tuple(_condition(c) for c in study.get("condition") or []),
        arms=study_arms(fhir, item, interventions),
        interventions=interventions,
        outcomes=tuple(_outcome(fhir, item, n, o) for n, o in enumerate(study.get("objective") or [])),
        criteria=_criteria(fhir, item, is_r4),
        sites=sites,
        visits=planned_visits(plan),
        brief_summary=fact("brief_summary", study.get("descriptionSummary")),
        sponsor_duns=identifier_value(organization, DUNS_SYSTEM),
        phase=fact("phase", reverse(codes.PHASE, code_in(study.get("phase"), codes.PHASE_SYSTEM), index=0)),
        sex=fact("sex", assumed=("ALL", "ALL")),
        minimum_age=fact("minimum_age"),
        maximum_age=fact("maximum_age"),
        healthy_volunteers=bool(fact("healthy_volunteers", assumed=(False, "false"))),
        start_date=(study.get("period") or {}).get("start"),
        data_cutoff_date=fact("data_cutoff_date"),
        data_cutoff_description=fact("data_cutoff_description"),
    )
    registry.report(fhir)
    return result


def _protocol(fhir: FhirInput, item: Located) -> Located | None:
    for ref in item.resource.get("protocol") or []:
        return fhir.resolve(ref, item, "ResearchStudy.protocol", "PlanDefinition")
    plans = fhir.of_type("PlanDefinition")
    return plans[0] if len(plans) == 1 else None


def _design_texts(concepts: Any) -> dict[str, str]:
    """'Study type: INTERVENTIONAL' style texts of ResearchStudy.category (R4) / studyDesign (R5)."""
    found = {}
    for concept in concepts or []:
        label, sep, value = str((concept or {}).get("text") or "").partition(": ")
        if sep:
            found[label] = value
    return found


def _official_title(study: Resource) -> str | None:
    for label in study.get("label") or []:
        if code_in(label.get("type"), "http://hl7.org/fhir/title-type") == "official":
            return label.get("value")
    return None


def _status(study: Resource, is_r4: bool) -> str | None:
    if is_r4:
        return reverse(codes.R4_STUDY_STATUS, study.get("status"))
    for progress in study.get("progressStatus") or []:
        state = code_in(progress.get("state"), codes.R5_STUDY_STATE_SYSTEM)
        if state:
            return reverse(codes.R5_STUDY_STATE, state)
    return None


def _sponsor(fhir: FhirInput, item: Located, is_r4: bool) -> Resource:
    study = item.resource
    if is_r4 and study.get("sponsor"):
        return fhir.resolve(study["sponsor"], item, "ResearchStudy.sponsor", "Organization").resource
    for number, party in enumerate(study.get("associatedParty") or []):
        if code_in(party.get("role"), codes.PARTY_ROLE_SYSTEM) == "sponsor":
            if party.get("party"):
                element = f"ResearchStudy.associatedParty[{number}].party"
                return fhir.resolve(party["party"], item, element, "Organization").resource
            return {"name": party.get("name")}
    organizations = fhir.of_type("Organization")
    return organizations[0].resource if organizations else {}


def _condition(concept: Resource) -> m.Condition:
    by_system = {c.get("system"): c for c in codings(concept)}
    name = concept.get("text") or next((c["display"] for c in codings(concept) if c.get("display")), "")
    return m.Condition(
        name=name,
        snomed=(by_system.get(codes.SNOMED) or {}).get("code"),
        meddra=(by_system.get(codes.MEDDRA) or {}).get("code"),
    )


def _outcome(fhir: FhirInput, item: Located, number: int, objective: Resource) -> m.Outcome:
    facts = fields(objective, sponsor.OUTCOME)
    kind = facts.get("kind") or reverse(
        codes.OBJECTIVE_TYPE, code_in(objective.get("type"), codes.OBJECTIVE_TYPE_SYSTEM)
    )
    if not facts:
        fhir.warn(
            item,
            f"ResearchStudy.objective[{number}]",
            f"outcome {objective.get('name')!r} has no time frame or description (no sponsor outcome extension): "
            f"both unknown{'' if kind else ', kind assumed OTHER'}",
        )
    return m.Outcome(
        kind=kind or "OTHER",
        measure=objective.get("name") or "",
        time_frame=facts.get("time_frame", ""),
        description=facts.get("description"),
    )


def _criteria(fhir: FhirInput, item: Located, is_r4: bool) -> tuple[m.Criterion, ...]:
    study = item.resource
    if is_r4:
        refs, element = study.get("enrollment") or [], "ResearchStudy.enrollment"
    else:
        eligibility = (study.get("recruitment") or {}).get("eligibility")
        refs, element = ([eligibility] if eligibility else []), "ResearchStudy.recruitment.eligibility"
    criteria = []
    for ref in refs:
        group = fhir.resolve(ref, item, element, "Group")
        for number, characteristic in enumerate(group.resource.get("characteristic") or []):
            concept = characteristic.get("code") or {}
            coding = next(iter(codings(concept)), {})
            if not coding.get("code"):
                raise group.fail(f"Group.characteristic[{number}].code", "a criterion needs a code (IETESTCD)")
            text = concept.get("text") or coding.get("display") or coding["code"]
            display = coding.get("display")
            criteria.append(
                m.Criterion(
                    id=coding["code"],
                    category="EXCLUSION" if characteristic.get("exclude") else "INCLUSION",
                    text=text,
                    short=display or None,
                )
            )
    return tuple(criteria)


def _sites(fhir: FhirInput, main: Located, is_r4: bool) -> tuple[m.Site, ...]:
    sites = []
    for item in fhir.each("ResearchStudy"):
        if item is main or not item.resource.get("partOf"):
            continue
        study = item.resource
        site_id = identifier_value(study, None)
        if not site_id:
            raise item.fail("ResearchStudy.identifier", "a site-level study needs an identifier (SITEID)")
        location: Resource = {}
        for ref in study.get("site") or []:
            location = fhir.resolve(ref, item, "ResearchStudy.site", "Location").resource
        address = location.get("address") or {}
        region = (study.get("location" if is_r4 else "region") or [{}])[0]
        country = address.get("country") or ""
        country_name = region.get("text")
        sites.append(
            m.Site(
                site_id=site_id,
                name=location.get("name") or study.get("title") or site_id,
                city=address.get("city") or "",
                country=country,
                country_name=country_name if country_name and country_name != country else None,
                state=address.get("state"),
                status=_status(study, is_r4),
            )
        )
    return tuple(sites)
