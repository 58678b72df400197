"""The study definition as FHIR: sponsor Organization, site Locations, study Medications (R5: and the EvidenceVariable
of each intervention that arms point at), visit-schedule PlanDefinition (build_schedule), eligibility Group
(build_eligibility), the ResearchStudy (arms and design: build_design) and one site-level ResearchStudy per site
(partOf the study, as the HL7 FHIR-to-CDISC Joint Mapping IG expects for SITEID).

R4 and R5 differ only where the releases differ (status vs progressStatus, sponsor vs associatedParty, arm vs
comparisonGroup, enrollment vs recruitment, location vs region); every other element is shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialinterop.countries import country
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir.build_design import build_arms, build_design_concepts, build_exposure_variable
from trialinterop.fhir.build_eligibility import build_eligibility_group
from trialinterop.fhir.build_schedule import build_schedule
from trialinterop.fhir.context import Context
from trialinterop.fhir.text import fhir_string
from trialinterop.source.models import Exposure, Intervention, Outcome, Site, Study

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
    if not ctx.is_r4:
        for definition_intervention in ctx.definition.interventions:
            yield build_exposure_variable(ctx, definition_intervention)
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
    address: dict[str, Any] = {"city": site.city} if site.city else {}
    address["country"] = site.country
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
        place = ", ".join(part for part in (site.city, site.country_name) if part)
        location["description"] = f"Study site {site.site_id}, {place}"
    return location


def build_medication(ctx: Context, intervention: Intervention, lot: str | None) -> Resource:
    key = (intervention.code,) if lot is None else (intervention.code, lot)
    value = intervention.code if lot is None else f"{intervention.code}/{fhir_string(lot)}"
    medication: Resource = {
        "resourceType": "Medication",
        "id": ctx.id("Medication", *key),
        "identifier": [ctx.identifier("medication", value)],
        "code": _medication_code(ctx, intervention),
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
        sponsor.with_extension(medication, _intervention_extension(ctx, intervention))
    return medication


def _medication_code(ctx: Context, intervention: Intervention) -> Resource:
    """The intervention's name as text, with its definition codes (e.g. UNII) as codings."""
    defined = ctx.definition.intervention(intervention.code)
    found = [ctx.coding(value) for value in defined.codes] if defined is not None else []
    coding = [c for c in found if c is not None]
    return {"coding": coding, "text": intervention.name} if coding else {"text": intervention.name}


def _intervention_extension(ctx: Context, intervention: Intervention) -> Resource | None:
    fields: dict[str, object] = {
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
    defined = ctx.definition.intervention(intervention.code)
    if defined is not None:
        fields["given_when"] = [f"{c.attribute}={'|'.join(c.values)}" for c in defined.given_when]
        fields["preceded_by"] = defined.preceded_by
        fields["preceded_by_snomed"] = defined.preceded_by_snomed
    return sponsor.fields_extension(ctx.extension(sponsor.INTERVENTION), fields)


def medication_ref(ctx: Context, treatment: str, lot: str | None) -> dict[str, str] | None:
    intervention = ctx.study.intervention_for(treatment)
    if intervention is None:
        return None
    key = (intervention.code,) if lot is None else (intervention.code, lot)
    return ctx.ref("Medication", *key)


def _objective(ctx: Context, outcome: Outcome) -> Resource:
    objective: Resource = {
        "name": outcome.measure,
        "type": codes.concept(codes.OBJECTIVE_TYPE_SYSTEM, codes.OBJECTIVE_TYPE[outcome.kind]),
    }
    fields = {"kind": outcome.kind, "time_frame": outcome.time_frame, "description": outcome.description}
    return sponsor.with_extension(objective, sponsor.fields_extension(ctx.extension(sponsor.OUTCOME), fields))


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


def _registry_identifiers(ctx: Context) -> list[Resource]:
    """The ClinicalTrials.gov number (use official), other registries' ids (type text = the registry), then the
    sponsor study identifier (which a SPONSOR registry id is)."""
    identifiers: list[Resource] = []
    for registered in ctx.definition.study.registry_ids:
        if registered.registry == "NCT":
            identifiers.append({"use": "official", "system": codes.CTGOV, "value": registered.id})
        elif registered.registry != "SPONSOR":
            identifiers.append({"type": {"text": registered.registry}, "value": registered.id})
    return [*identifiers, ctx.identifier("study", ctx.study.study_id)]


def build_research_study(ctx: Context, enrolled: int) -> Resource:
    study = ctx.study
    countries = {site.country: site for site in study.sites}
    resource: Resource = {
        "resourceType": "ResearchStudy",
        "id": ctx.id("ResearchStudy", "study"),
        "identifier": _registry_identifiers(ctx),
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
    objectives = [_objective(ctx, o) for o in study.outcomes]
    focus_names = [i.name for i in study.interventions]
    if ctx.is_r4:
        resource["extension"] = [{"url": codes.TARGET_NUMBER_EXTENSION, "valueUnsignedInt": study.enrollment_target}]
        resource["status"] = codes.R4_STUDY_STATUS[study.overall_status]
        resource["category"] = build_design_concepts(ctx)
        resource["focus"] = [{"text": name} for name in focus_names]
        resource["location"] = [_country(site) for site in countries.values()]
        resource["enrollment"] = [ctx.ref("Group", "eligibility")]
        resource["sponsor"] = ctx.ref("Organization", "sponsor")
        resource["arm"] = build_arms(ctx)
        resource["objective"] = objectives
        return resource
    resource["label"] = [
        {"type": codes.concept("http://hl7.org/fhir/title-type", "official"), "value": study.official_title}
    ]
    resource["status"] = "active"
    resource["studyDesign"] = build_design_concepts(ctx)
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
    resource["comparisonGroup"] = build_arms(ctx)
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
