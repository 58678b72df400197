"""The study definition rebuilt from FHIR when none is given: the main ResearchStudy (identifiers, title, status,
conditions, arms, objectives, target enrolment), its site-level ResearchStudies (partOf the main one; SITEID =
identifier, as the HL7 FHIR-to-CDISC Joint Mapping IG assumes) with their Locations, the sponsor Organization, the
study Medications (interventions), the eligibility Group (criteria, age and sex limits), the protocol PlanDefinition
(visit schedule) and the subject-characteristic Observations (subject attributes).

Facts FHIR has no element for come from the sponsor extensions (fhir.sponsor); input without them (another tool's
export) falls back to the standard elements; a fact SDTM needs that is nowhere is an error naming where it was
looked for, any other is assumed or left unknown with a warning (fhir_in.registry). What FHIR cannot carry at all
(findings instruments and their tests, trial elements) is only in a study definition: `--study` gives it
(fhir_in.given_study).
"""

from __future__ import annotations

from typing import Any

from trialinterop.countries import to_alpha3
from trialinterop.definition import model as d
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.arms import study_arms
from trialinterop.fhir_in.interventions import study_interventions, with_preceding_procedures
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

Resource = dict[str, Any]
DUNS_SYSTEM = "urn:oid:1.3.6.1.4.1.519.1"
SPONSOR_SID = "/sid/"
ANY_SUBJECT_ID = ".+"
"""FHIR carries no subject id pattern: any identifier is accepted."""
UCUM_DURATION = {"a": "Y", "mo": "M", "wk": "W", "d": "D"}
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
        if SPONSOR_SID in system and system.endswith("-study") and identifier.get("value"):
            return identifier["value"]
    found = identifier_value(resource, codes.CTGOV) or identifier_value(resource, None)
    if not found:
        raise item.fail("ResearchStudy.identifier", "the study has no identifier (STUDYID)")
    return found


def code_system_base(fhir: FhirInput, item: Located) -> str:
    """The sponsor base URI: from the study's sponsor identifier system `{base}/sid/{study}-study`, else from any
    sponsor extension URL `{base}/StructureDefinition/<name>`; "" when the input has neither."""
    for identifier in item.resource.get("identifier") or []:
        system = (identifier or {}).get("system") or ""
        if SPONSOR_SID in system and system.endswith("-study"):
            return system.split(SPONSOR_SID, 1)[0]
    for plan in fhir.of_type("PlanDefinition"):
        for extension in plan.resource.get("extension") or []:
            url = (extension or {}).get("url")
            if sponsor.is_extension(url, sponsor.REGISTRY_RECORD):
                return str(url).rsplit("/StructureDefinition/", 1)[0]
    return ""


def build_definition(fhir: FhirInput, item: Located) -> d.StudyDefinition:
    """The study definition from the main ResearchStudy `item` and the resources around it. FHIR carries no
    instruments, trial elements or subject id pattern: the definition has no instruments and no elements, and
    subject attributes are those the input's subject-characteristic Observations show (see `subject_attributes`)."""
    is_r4 = fhir.version == "R4"
    interventions = with_preceding_procedures(fhir, study_interventions(fhir))
    sites = _sites(fhir, item, is_r4)
    fhir.current = item
    study = item.resource
    study_id = study_id_of(item)
    base = code_system_base(fhir, item)
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
    status = fact("overall_status", _status(study, is_r4), required=True)
    study_type = fact("study_type", _first(design, "Study type"), required=True)
    design_facts = {
        "allocation": fact("allocation", _first(design, "Allocation"), required=True),
        "intervention_model": fact("intervention_model", _first(design, "Intervention model"), required=True),
        "masking": fact("masking", _first(design, "Masking"), required=True),
        "primary_purpose": fact("primary_purpose", purpose, required=True),
    }
    registry.require()
    registry_ids = _registry_ids(study)
    eligibility_facts = _eligibility_limits(fhir, item, is_r4)
    facts = d.StudyFacts(
        id=study_id,
        registry_ids=registry_ids or (d.RegistryId("SPONSOR", study_id),),
        brief_title=study["title"],
        official_title=fact("official_title", _official_title(study), assumed=(study["title"], "ResearchStudy.title")),
        sponsor_name=organization.get("name") or "",
        status=status,
        type=study_type,
        enrollment_target=int(target) if isinstance(target, int | float) else 0,
        conditions=tuple(_condition(c) for c in study.get("condition") or []),
        brief_summary=fact("brief_summary", study.get("descriptionSummary")),
        sponsor_duns=identifier_value(organization, DUNS_SYSTEM),
        phase=fact("phase", reverse(codes.PHASE, code_in(study.get("phase"), codes.PHASE_SYSTEM), index=0)),
        start_date=(study.get("period") or {}).get("start"),
        data_cutoff_date=fact("data_cutoff_date"),
        data_cutoff_description=fact("data_cutoff_description"),
    )
    eligibility = d.Eligibility(
        sex=fact("sex", eligibility_facts.get("sex"), assumed=("ALL", "ALL")),
        criteria=_criteria(fhir, item, is_r4),
        minimum_age=fact("minimum_age", eligibility_facts.get("minimum_age")),
        maximum_age=fact("maximum_age", eligibility_facts.get("maximum_age")),
        healthy_volunteers=bool(fact("healthy_volunteers", assumed=(False, "false"))),
    )
    result = d.StudyDefinition(
        study=facts,
        design=d.Design(**design_facts, **_more_design(registry), masked_roles=_masked_roles(design)),
        arms=study_arms(fhir, item, interventions),
        epochs=(),
        elements=(),
        visits=d.VisitSchedule(planned_visits(plan)),
        interventions=interventions,
        sites=sites,
        subjects=d.Subjects(id_pattern=ANY_SUBJECT_ID, attributes=subject_attributes(fhir, base, study_id)),
        eligibility=eligibility,
        outcomes=tuple(_outcome(fhir, item, n, o) for n, o in enumerate(study.get("objective") or [])),
        instruments=(),
        code_system_base=base,
        source=f"{fhir.source} (rebuilt from FHIR)",
    )
    registry.report(fhir)
    return result


def _registry_ids(study: Resource) -> tuple[d.RegistryId, ...]:
    """The NCT number (clinicaltrials.gov identifier), then identifiers typed by registry name (`type.text`)."""
    found = []
    for identifier in study.get("identifier") or []:
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            continue
        registry = "NCT" if identifier.get("system") == codes.CTGOV else (identifier.get("type") or {}).get("text")
        if isinstance(registry, str) and registry:
            found.append(d.RegistryId(registry, identifier["value"]))
    return tuple(found)


def _more_design(registry: RegistryFacts) -> dict[str, Any]:
    """Design facts beyond the registry's four, when the registry-record extension carries them by their definition
    names (text, flags and lists of text)."""
    found: dict[str, Any] = {}
    for name in ("control_type", "trial_length", "primary_objective", "stop_rules"):
        value = registry.optional(name)
        if isinstance(value, str):
            found[name] = value
    for name in ("adaptive", "add_on", "pediatric", "rare_disease", "extension_trial"):
        value = registry.optional(name)
        if isinstance(value, bool):
            found[name] = value
    for name in ("trial_types", "secondary_objectives"):
        values = registry.all(name)
        if values:
            found[name] = tuple(str(v) for v in values)
    return found


def _masked_roles(design: dict[str, list[str]]) -> tuple[str, ...]:
    return tuple(design.get("Masked role", []))


def subject_attributes(fhir: FhirInput, base: str, study_id: str) -> tuple[d.SubjectAttribute, ...]:
    """One attribute per code of the study's subject-characteristic CodeSystem the Observations use (name = code,
    label = display or text, values = the values seen, sorted; Y and N for true/false answers)."""
    system = codes.sponsor_code_system(base, study_id, "subject-characteristic")
    labels: dict[str, str] = {}
    values: dict[str, set[str]] = {}
    for item in fhir.each("Observation"):
        concept = item.resource.get("code")
        code = code_in(concept, system)
        if code is None:
            continue
        coding = next(c for c in codings(concept) if c.get("system") == system)
        labels.setdefault(code, coding.get("display") or (concept or {}).get("text") or code)
        value = attribute_value(item.resource)
        values.setdefault(code, set()).update([value] if value is not None else [])
    return tuple(d.SubjectAttribute(code, labels[code], tuple(sorted(values[code]))) for code in labels)


def attribute_value(observation: Resource) -> str | None:
    """A subject attribute's value: valueBoolean as Y/N, else valueCodeableConcept text (or a coding's code), else
    valueString."""
    if isinstance(observation.get("valueBoolean"), bool):
        return "Y" if observation["valueBoolean"] else "N"
    concept = observation.get("valueCodeableConcept")
    if isinstance(concept, dict):
        text = concept.get("text") or next((c.get("code") for c in codings(concept) if c.get("code")), None)
        return str(text) if text is not None else None
    value = observation.get("valueString")
    return value if isinstance(value, str) else None


def _protocol(fhir: FhirInput, item: Located) -> Located | None:
    for ref in item.resource.get("protocol") or []:
        return fhir.resolve(ref, item, "ResearchStudy.protocol", "PlanDefinition")
    plans = fhir.of_type("PlanDefinition")
    return plans[0] if len(plans) == 1 else None


def _design_texts(concepts: Any) -> dict[str, list[str]]:
    """'Study type: INTERVENTIONAL' style texts of ResearchStudy.category (R4) / studyDesign (R5), by label."""
    found: dict[str, list[str]] = {}
    for concept in concepts or []:
        label, sep, value = str((concept or {}).get("text") or "").partition(": ")
        if sep:
            found.setdefault(label, []).append(value)
    return found


def _first(design: dict[str, list[str]], label: str) -> str | None:
    found = design.get(label)
    return found[0] if found else None


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


def _condition(concept: Resource) -> d.Condition:
    by_system = {c.get("system"): c for c in codings(concept)}
    name = concept.get("text") or next((c["display"] for c in codings(concept) if c.get("display")), "")
    return d.Condition(
        name=name,
        snomed=(by_system.get(codes.SNOMED) or {}).get("code"),
        meddra=(by_system.get(codes.MEDDRA) or {}).get("code"),
    )


def _outcome(fhir: FhirInput, item: Located, number: int, objective: Resource) -> d.Outcome:
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
    return d.Outcome(
        kind=kind or "OTHER",
        measure=objective.get("name") or "",
        time_frame=facts.get("time_frame", ""),
        description=facts.get("description"),
        instrument=facts.get("instrument"),
    )


def _groups(fhir: FhirInput, item: Located, is_r4: bool) -> list[Located]:
    """The eligibility Groups of the study (R4 enrollment, R5 recruitment.eligibility)."""
    study = item.resource
    if is_r4:
        refs, element = study.get("enrollment") or [], "ResearchStudy.enrollment"
    else:
        eligibility = (study.get("recruitment") or {}).get("eligibility")
        refs, element = ([eligibility] if eligibility else []), "ResearchStudy.recruitment.eligibility"
    return [fhir.resolve(ref, item, element, "Group") for ref in refs]


def _is_limit(concept: Any) -> bool:
    """An age or sex limit (LOINC Age / Sex), not a criterion."""
    return code_in(concept, codes.LOINC) in (codes.LOINC_AGE[0], codes.LOINC_SEX[0])


def _eligibility_limits(fhir: FhirInput, item: Located, is_r4: bool) -> dict[str, str]:
    """minimum_age / maximum_age (ISO 8601 durations) from an Age characteristic's valueRange in UCUM a/mo/wk/d, and
    sex (FEMALE/MALE) from a Sex characteristic's administrative gender."""
    found: dict[str, str] = {}
    for group in _groups(fhir, item, is_r4):
        for characteristic in group.resource.get("characteristic") or []:
            concept = characteristic.get("code")
            if code_in(concept, codes.LOINC) == codes.LOINC_AGE[0]:
                for side, name in (("low", "minimum_age"), ("high", "maximum_age")):
                    duration = _duration((characteristic.get("valueRange") or {}).get(side))
                    if duration is not None:
                        found[name] = duration
            elif code_in(concept, codes.LOINC) == codes.LOINC_SEX[0]:
                gender = code_in(characteristic.get("valueCodeableConcept"), codes.ADMINISTRATIVE_GENDER_SYSTEM)
                sex = reverse(codes.ELIGIBLE_SEX, gender, index=0)
                if sex is not None:
                    found["sex"] = sex
    return found


def _duration(quantity: Any) -> str | None:
    if not isinstance(quantity, dict):
        return None
    value, unit = quantity.get("value"), UCUM_DURATION.get(quantity.get("code") or "")
    if unit is None or not isinstance(value, int | float) or isinstance(value, bool) or value != int(value):
        return None
    return f"P{int(value)}{unit}"


def _criteria(fhir: FhirInput, item: Located, is_r4: bool) -> tuple[d.Criterion, ...]:
    criteria = []
    for group in _groups(fhir, item, is_r4):
        for number, characteristic in enumerate(group.resource.get("characteristic") or []):
            concept = characteristic.get("code") or {}
            if _is_limit(concept):
                continue
            coding = next(iter(codings(concept)), {})
            if not coding.get("code"):
                raise group.fail(f"Group.characteristic[{number}].code", "a criterion needs a code (IETESTCD)")
            text = concept.get("text") or coding.get("display") or coding["code"]
            display = coding.get("display")
            criteria.append(
                d.Criterion(
                    id=coding["code"],
                    category="EXCLUSION" if characteristic.get("exclude") else "INCLUSION",
                    text=text,
                    short=display or None,
                )
            )
    return tuple(criteria)


def _sites(fhir: FhirInput, main: Located, is_r4: bool) -> tuple[d.Site, ...]:
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
        sites.append(
            d.Site(
                id=site_id,
                name=location.get("name") or study.get("title") or site_id,
                country=to_alpha3(address.get("country")) or address.get("country") or "",
                city=address.get("city") or None,
                state=address.get("state"),
                status=_status(study, is_r4),
            )
        )
    return tuple(sites)
