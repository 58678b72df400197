"""The registry record as FHIR: sponsor Organization, site Locations, study Medications, visit-schedule
PlanDefinition, eligibility Group, the ResearchStudy and one site-level ResearchStudy per site (partOf the study, as
the HL7 FHIR-to-CDISC Joint Mapping IG expects for SITEID).

R4 and R5 differ only where the releases differ (status vs progressStatus, sponsor vs associatedParty, arm vs
comparisonGroup, enrollment vs recruitment, location vs region); every other element is shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialinterop.countries import country
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.context import Context
from trialinterop.fhir.text import fhir_string
from trialinterop.source.models import Arm, Criterion, Exposure, Intervention, Outcome, PlannedVisit, Site, Study

Resource = dict[str, Any]


def build_study_resources(ctx: Context, exposures: tuple[Exposure, ...], enrolled: int) -> Iterator[Resource]:
    """Every study-level resource, in a fixed order."""
    study = ctx.study
    yield build_sponsor(ctx)
    for site in study.sites:
        yield build_location(ctx, site)
    for intervention in study.interventions:
        yield build_medication(ctx, intervention, None)
    for intervention, lot in medication_lots(study, exposures):
        yield build_medication(ctx, intervention, lot)
    yield build_schedule(ctx)
    yield build_eligibility_group(ctx)
    yield build_research_study(ctx, enrolled)
    for site in study.sites:
        yield build_site_study(ctx, site)


def medication_lots(study: Study, exposures: tuple[Exposure, ...]) -> list[tuple[Intervention, str]]:
    """(intervention, lot) pairs administered, sorted; each lot becomes its own Medication (batch.lotNumber)."""
    seen: set[tuple[str, str]] = set()
    for exposure in exposures:
        if exposure.lot is not None:
            seen.add((exposure.treatment, exposure.lot))
    pairs = []
    for treatment, lot in sorted(seen):
        intervention = study.intervention_for(treatment)
        if intervention is not None:
            pairs.append((intervention, lot))
    return pairs


def build_sponsor(ctx: Context) -> Resource:
    study = ctx.study
    identifiers = [ctx.identifier("organization", "sponsor")]
    if study.sponsor_duns:
        identifiers.append({"system": "urn:oid:1.3.6.1.4.1.519.1", "value": study.sponsor_duns})
    return {
        "resourceType": "Organization",
        "id": ctx.id("Organization", "sponsor"),
        "identifier": identifiers,
        "active": True,
        "name": study.sponsor_name,
    }


def build_location(ctx: Context, site: Site) -> Resource:
    address: dict[str, Any] = {"city": site.city, "country": site.country}
    if site.state:
        address["state"] = site.state
    location: Resource = {
        "resourceType": "Location",
        "id": ctx.id("Location", site.site_id),
        "identifier": [ctx.identifier("site", site.site_id)],
        "status": "active",
        "name": site.name,
        "address": address,
    }
    if site.country_name:
        location["description"] = f"Study site {site.site_id}, {site.city}, {site.country_name}"
    return location


def build_medication(ctx: Context, intervention: Intervention, lot: str | None) -> Resource:
    key = (intervention.code,) if lot is None else (intervention.code, lot)
    value = intervention.code if lot is None else f"{intervention.code}/{fhir_string(lot)}"
    medication: Resource = {
        "resourceType": "Medication",
        "id": ctx.id("Medication", *key),
        "identifier": [ctx.identifier("medication", value)],
        "code": {"text": intervention.name},
        "status": "active",
    }
    if intervention.dose_form and ctx.terminology.has("FRM", intervention.dose_form):
        medication["form" if ctx.is_r4 else "doseForm"] = {
            "coding": [ctx.nci("FRM", intervention.dose_form)],
            "text": intervention.dose_form,
        }
    if lot is not None:
        medication["batch"] = {"lotNumber": fhir_string(lot)}
    else:
        sponsor.with_extension(medication, _intervention_extension(intervention))
    return medication


def _intervention_extension(intervention: Intervention) -> Resource | None:
    fields = {
        "type": intervention.type,
        "description": intervention.description,
        "treatment": intervention.treatment,
        "dose": intervention.dose,
        "dose_unit": intervention.dose_unit,
        "route": intervention.route,
        "dose_form": intervention.dose_form,
        "frequency": intervention.frequency,
        "population": intervention.population,
    }
    return sponsor.fields_extension(sponsor.INTERVENTION, fields)


def medication_ref(ctx: Context, treatment: str, lot: str | None) -> dict[str, str] | None:
    intervention = ctx.study.intervention_for(treatment)
    if intervention is None:
        return None
    key = (intervention.code,) if lot is None else (intervention.code, lot)
    return ctx.ref("Medication", *key)


def visit_code(visit_num: float) -> str:
    """Visit number as text: 1 -> '1', 3.01 -> '3.01'."""
    return f"{visit_num:g}" if visit_num != int(visit_num) else str(int(visit_num))


def _visit_action(ctx: Context, visit: PlannedVisit) -> Resource:
    description = visit.start_rule
    if visit.end_rule:
        description += f"; ends: {visit.end_rule}"
    if visit.window_days is not None:
        description += f"; window ±{visit.window_days} days"
    coding = {
        "system": codes.sponsor_code_system(ctx.study_key, "visit"),
        "code": visit_code(visit.visit_num),
        "display": visit.name,
    }
    action: Resource = {"title": visit.name, "description": description}
    timing = {
        "planned_day": visit.planned_day,
        "window_days": visit.window_days,
        "start_rule": visit.start_rule,
        "end_rule": visit.end_rule,
    }
    sponsor.with_extension(action, sponsor.fields_extension(sponsor.PLANNED_VISIT, timing))
    if ctx.is_r4:
        action["code"] = [{"coding": [coding]}]
    else:
        action["linkId"] = f"visit-{visit_code(visit.visit_num)}"
        action["code"] = {"coding": [coding]}
    if visit.planned_day is not None:
        window = visit.window_days or 0
        action["timingRange"] = {
            "low": {"value": visit.planned_day - window, "unit": "d", "system": codes.UCUM, "code": "d"},
            "high": {"value": visit.planned_day + window, "unit": "d", "system": codes.UCUM, "code": "d"},
        }
    if visit.assessments:
        action["action"] = [{"title": assessment} for assessment in visit.assessments]
    return action


def build_schedule(ctx: Context) -> Resource:
    """The protocol's visit schedule (planned study day ± window, assessments per visit) as a PlanDefinition."""
    study = ctx.study
    schedule: Resource = {
        "resourceType": "PlanDefinition",
        "id": ctx.id("PlanDefinition", "schedule"),
        "identifier": [ctx.identifier("plan", "schedule")],
        "name": "VisitSchedule",
        "title": f"Schedule of visits, {study.nct_id}",
        "status": "active",
        "description": "Planned visits; timing is the planned study day (infusion = day 1) ± the visit window.",
        "action": [_visit_action(ctx, visit) for visit in study.visits],
    }
    return sponsor.with_extension(schedule, _registry_extension(study))


def _registry_extension(study: Study) -> Resource | None:
    """Registry facts without a FHIR element, on the protocol (the ResearchStudy's `protocol` PlanDefinition)."""
    fields = {
        name: getattr(study, name)
        for name in (
            "official_title", "brief_summary", "overall_status", "study_type", "allocation", "intervention_model",
            "masking", "primary_purpose", "phase", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
            "data_cutoff_date", "data_cutoff_description",
        )
    }  # fmt: skip
    return sponsor.fields_extension(sponsor.REGISTRY_RECORD, fields)


def _arm(arm: Arm, element: Resource) -> Resource:
    fields = {"code": arm.code, "interventions": arm.interventions}
    return sponsor.with_extension(element, sponsor.fields_extension(sponsor.ARM, fields))


def _objective(outcome: Outcome) -> Resource:
    objective: Resource = {
        "name": outcome.measure,
        "type": codes.concept(codes.OBJECTIVE_TYPE_SYSTEM, codes.OBJECTIVE_TYPE[outcome.kind]),
    }
    fields = {"kind": outcome.kind, "time_frame": outcome.time_frame, "description": outcome.description}
    return sponsor.with_extension(objective, sponsor.fields_extension(sponsor.OUTCOME, fields))


def _criterion_characteristic(ctx: Context, criterion: Criterion) -> Resource:
    return {
        "code": {
            "coding": [
                {
                    "system": codes.sponsor_code_system(ctx.study_key, "criteria"),
                    "code": criterion.id,
                    "display": criterion.short or criterion.text,
                }
            ],
            "text": criterion.text,
        },
        "valueBoolean": True,
        "exclude": criterion.category == "EXCLUSION",
    }


def build_eligibility_group(ctx: Context) -> Resource:
    """Inclusion criteria as characteristics that must hold, exclusion criteria as characteristics with exclude=true."""
    group: Resource = {
        "resourceType": "Group",
        "id": ctx.id("Group", "eligibility"),
        "identifier": [ctx.identifier("group", "eligibility")],
        "type": "person",
        "name": f"Eligibility criteria, {ctx.study.nct_id}",
        "characteristic": [_criterion_characteristic(ctx, c) for c in ctx.study.criteria],
    }
    if ctx.is_r4:
        group["actual"] = False
    else:
        group["membership"] = "definitional"
    return group


def _country(site: Site) -> Resource:
    found = country(site.country)
    concept: Resource = {"text": site.country_name or site.country}
    if found:
        display = site.country_name or site.country
        concept["coding"] = [{"system": codes.ISO_COUNTRY, "code": found.alpha2, "display": display}]
    return concept


def _description(study: Study) -> str:
    """Markdown carrying the registry facts FHIR has no element for (outcome time frames, design, schedule)."""
    lines = [f"**{study.official_title}**", ""]
    if study.brief_summary:
        lines += [study.brief_summary, ""]
    lines += [
        f"Study type: {study.study_type}; allocation: {study.allocation}; intervention model: "
        f"{study.intervention_model}; masking: {study.masking}; primary purpose: {study.primary_purpose}; "
        f"phase: {study.phase or 'not stated in the registry record'}.",
        "",
        "Interventions:",
    ]
    for i in study.interventions:
        dose = f"{i.dose:g} {i.dose_unit}" if i.dose is not None and i.dose_unit else "dose not fixed"
        lines.append(f"- {i.name} ({i.type}): {i.description}; {dose}; {i.route or ''} {i.frequency or ''}".rstrip())
        if i.population:
            lines[-1] += f"; population: {i.population}"
    lines += ["", "Outcome measures:"]
    for o in study.outcomes:
        lines.append(
            f"- {o.kind}: {o.measure}; time frame: {o.time_frame}" + (f"; {o.description}" if o.description else "")
        )
    volunteers = "accepted" if study.healthy_volunteers else "not accepted"
    lines += [
        "",
        f"Eligibility: sex {study.sex}; minimum age {study.minimum_age or 'not stated'}; "
        f"maximum age {study.maximum_age or 'not stated'}; healthy volunteers {volunteers}.",
    ]
    if study.data_cutoff_date:
        lines += ["", f"Data cut-off: {study.data_cutoff_date} ({study.data_cutoff_description or 'data snapshot'})."]
    return "\n".join(lines)


def _condition(study: Study) -> list[Resource]:
    concepts = []
    for condition in study.conditions:
        coding = []
        if condition.snomed:
            coding.append({"system": codes.SNOMED, "code": condition.snomed, "display": condition.name})
        if condition.meddra:
            coding.append({"system": codes.MEDDRA, "code": condition.meddra, "display": condition.name})
        concept: Resource = {"text": condition.name}
        if coding:
            concept["coding"] = coding
        concepts.append(concept)
    return concepts


def _design_concepts(study: Study) -> list[Resource]:
    return [
        {"text": f"Study type: {study.study_type}"},
        {"text": f"Allocation: {study.allocation}"},
        {"text": f"Intervention model: {study.intervention_model}"},
        {"text": f"Masking: {study.masking}"},
    ]


def build_research_study(ctx: Context, enrolled: int) -> Resource:
    study = ctx.study
    countries = {site.country: site for site in study.sites}
    resource: Resource = {
        "resourceType": "ResearchStudy",
        "id": ctx.id("ResearchStudy", "study"),
        "identifier": [
            {"use": "official", "system": codes.CTGOV, "value": study.nct_id},
            ctx.identifier("study", study.study_id),
        ],
        "title": study.brief_title,
        "protocol": [ctx.ref("PlanDefinition", "schedule")],
    }
    purpose = codes.PURPOSE.get(study.primary_purpose)
    if purpose:
        resource["primaryPurposeType"] = {"coding": [{"system": codes.PURPOSE_SYSTEM, "code": purpose}]}
    if study.phase is not None:
        code, display = codes.PHASE[study.phase]
        resource["phase"] = {"coding": [{"system": codes.PHASE_SYSTEM, "code": code, "display": display}]}
    resource["condition"] = _condition(study)
    resource["description"] = _description(study)
    if study.start_date:
        resource["period"] = {"start": study.start_date}
    resource["site"] = [ctx.ref("Location", site.site_id) for site in study.sites]
    objectives = [_objective(o) for o in study.outcomes]
    focus_names = [i.name for i in study.interventions]
    if ctx.is_r4:
        resource["extension"] = [{"url": codes.TARGET_NUMBER_EXTENSION, "valueUnsignedInt": study.enrollment_target}]
        resource["status"] = codes.R4_STUDY_STATUS[study.overall_status]
        resource["category"] = _design_concepts(study)
        resource["focus"] = [{"text": name} for name in focus_names]
        resource["location"] = [_country(site) for site in countries.values()]
        resource["enrollment"] = [ctx.ref("Group", "eligibility")]
        resource["sponsor"] = ctx.ref("Organization", "sponsor")
        resource["arm"] = [
            _arm(arm, {"name": arm.label, "type": {"text": arm.type}, "description": arm.description})
            for arm in study.arms
        ]
        resource["objective"] = objectives
        return resource
    resource["label"] = [
        {"type": codes.concept("http://hl7.org/fhir/title-type", "official"), "value": study.official_title}
    ]
    resource["status"] = "active"
    resource["studyDesign"] = _design_concepts(study)
    resource["focus"] = [
        {"concept": {"text": i.name}, "reference": ctx.ref("Medication", i.code)} for i in study.interventions
    ]
    resource["region"] = [_country(site) for site in countries.values()]
    if study.brief_summary:
        resource["descriptionSummary"] = study.brief_summary
    resource["associatedParty"] = [
        {
            "name": study.sponsor_name,
            "role": {"coding": [{"system": codes.PARTY_ROLE_SYSTEM, "code": "sponsor"}]},
            "party": ctx.ref("Organization", "sponsor"),
        }
    ]
    state = codes.concept(codes.R5_STUDY_STATE_SYSTEM, codes.R5_STUDY_STATE[study.overall_status])
    resource["progressStatus"] = [{"state": state, "actual": True}]
    resource["recruitment"] = {
        "targetNumber": study.enrollment_target,
        "actualNumber": enrolled,
        "eligibility": ctx.ref("Group", "eligibility"),
    }
    resource["comparisonGroup"] = [
        _arm(arm, {"linkId": arm.code, "name": arm.label, "type": {"text": arm.type}, "description": arm.description})
        for arm in study.arms
    ]
    resource["objective"] = objectives
    resource["outcomeMeasure"] = [
        {
            "name": o.measure,
            "type": [codes.concept(codes.OBJECTIVE_TYPE_SYSTEM, codes.OBJECTIVE_TYPE[o.kind])],
            "description": (o.description + ". " if o.description else "") + f"Time frame: {o.time_frame}",
        }
        for o in study.outcomes
    ]
    return resource


def build_site_study(ctx: Context, site: Site) -> Resource:
    """The site-level study: identifier = SITEID, partOf the main study, site = the Location."""
    study = ctx.study
    resource: Resource = {
        "resourceType": "ResearchStudy",
        "id": ctx.id("ResearchStudy", "site", site.site_id),
        "identifier": [ctx.identifier("site", site.site_id)],
        "title": f"{study.nct_id} site {site.site_id}: {site.name}",
        "partOf": [ctx.ref("ResearchStudy", "study")],
    }
    status = site.status if site.status in codes.R4_STUDY_STATUS else study.overall_status
    resource["site"] = [ctx.ref("Location", site.site_id)]
    if ctx.is_r4:
        resource["status"] = codes.R4_STUDY_STATUS[status]
        resource["location"] = [_country(site)]
        return resource
    resource["status"] = "active"
    resource["region"] = [_country(site)]
    state = codes.concept(codes.R5_STUDY_STATE_SYSTEM, codes.R5_STUDY_STATE[status])
    resource["progressStatus"] = [{"state": state, "actual": True}]
    return resource
