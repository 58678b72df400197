"""Study interventions (of the study definition) from the study Medications, and which intervention an administration
gave.

A Medication without a lot (`batch`) is a study intervention: code = its identifier, name = code.text (or a coding's
display), codes = its codings of a system the definition format names (UNII, RxNorm, ...). The facts FHIR has no
element for (type, treatment name, planned dose, route, frequency, population, role, preceded_by...) come from the
sponsor intervention extension (any field named as in the definition); without it the treatment name (EXTRT) is the
name in upper case and the rest unknown, with a warning. MedicationAdministration.medication[x] (a CodeableConcept, or
the referenced Medication's identifier and code, or the Reference's display when that Medication has no code) is
matched against the interventions' codes, names and treatment names; an administration of anything else, or of a
medication named nowhere, is a concomitant medication (CM, fhir_in.history). A MedicationStatement or
MedicationRequest naming a study intervention (an order or a report of the study treatment, not an exposure) is left
out of CM, as not mapped (`names_intervention`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trialinterop.definition import model as d
from trialinterop.fhir import codes, sponsor
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import codings, extensions, fields, identifier_value

UNKNOWN_WITHOUT_EXTENSION = "planned dose, dose unit, route, frequency, population and description"
STUDY_OPTION = "give the study definition with --study"
TEXT_FIELDS = ("role", "description", "dose_unit", "route", "frequency", "population", "preceded_by",
               "preceded_by_snomed")  # fmt: skip
SYSTEM_NAMES = {uri: name for name, uri in codes.DEFINITION_SYSTEMS.items()}


def study_interventions(fhir: FhirInput) -> tuple[d.Intervention, ...]:
    """One per study Medication that is not a lot (no batch), in input order."""
    found = []
    for item in fhir.each("Medication"):
        medication = item.resource
        if "batch" in medication:
            continue
        facts = fields(medication, sponsor.INTERVENTION)
        given = extensions(medication, sponsor.INTERVENTION)
        conditions = _conditions(item, sponsor.read_fields(given[0]).get("given_when", []) if given else [])
        name = _name(medication.get("code"))
        if not name:
            raise item.fail("Medication.code.text", "required: the intervention's name (a study Medication)")
        code = identifier_value(medication, None) or name
        form = medication.get("form" if fhir.version == "R4" else "doseForm") or {}
        if not facts:
            treatment = name.upper()
            fhir.warn(
                item,
                f"Medication.extension({sponsor.INTERVENTION})",
                f"intervention {code} has no registry facts: treatment name (EXTRT) assumed {treatment!r} (the "
                f"name in upper case), type assumed DRUG; {UNKNOWN_WITHOUT_EXTENSION} unknown; {STUDY_OPTION}",
            )
        text = {name: str(facts[name]) for name in TEXT_FIELDS if facts.get(name) is not None}
        found.append(
            d.Intervention(
                code=code,
                name=name,
                type=facts.get("type", "DRUG"),
                treatment=facts.get("treatment", name.upper() if not facts else name),
                role=text.get("role", "INVESTIGATIONAL"),
                description=text.get("description"),
                dose=float(facts["dose"]) if isinstance(facts.get("dose"), int | float) else None,
                dose_unit=text.get("dose_unit"),
                dose_form=facts.get("dose_form", form.get("text")),
                route=text.get("route"),
                frequency=text.get("frequency"),
                doses=facts["doses"] if isinstance(facts.get("doses"), int) else None,
                population=text.get("population"),
                given_when=conditions,
                preceded_by=text.get("preceded_by"),
                preceded_by_snomed=text.get("preceded_by_snomed"),
                codes=_coded(medication.get("code")),
            )
        )
    return tuple(found)


def _conditions(item: Located, values: list[Any]) -> tuple[d.SubjectCondition, ...]:
    """`given_when` fields 'attribute=v1|v2' as subject conditions."""
    found = []
    for value in values:
        attribute, sep, allowed = str(value).partition("=")
        if not sep or not attribute:
            element = f"Medication.extension({sponsor.INTERVENTION}).given_when"
            raise item.fail(element, f"expected 'attribute=value|value', got {value!r}")
        found.append(d.SubjectCondition(attribute, tuple(allowed.split("|"))))
    return tuple(found)


def _coded(concept: Any) -> tuple[d.CodedValue, ...]:
    """The codings of a system the definition format names, as its coded values (display as the value)."""
    found = []
    for coding in codings(concept):
        name = SYSTEM_NAMES.get(coding.get("system") or "")
        if name is not None and isinstance(coding.get("code"), str):
            value = coding.get("display") or coding["code"]
            found.append(d.CodedValue(str(value), coding["code"], name, coding.get("version")))
    return tuple(found)


def administered(fhir: FhirInput, item: Located, definition: d.StudyDefinition) -> tuple[str, str | None] | None:
    """(treatment name, lot) of a MedicationAdministration: the study intervention its medication[x] names; None
    when it names none of them, or names nothing at all (then CM reads it, and counts it as not mapped)."""
    names, lot = _given(fhir, item)
    intervention = match_intervention(definition.interventions, names)
    if intervention is None:
        return None
    return intervention.treatment, lot


def medication_of(fhir: FhirInput, item: Located) -> tuple[Any, Located | None]:
    """(concept, referenced Medication or None) of the medication[x] of a MedicationAdministration,
    MedicationStatement or MedicationRequest (the same element in each): the CodeableConcept given inline, else the
    code of the Medication it references; when that Medication has no code (a mixture named by its ingredients), the
    Reference's display as the concept's text, the sender's own name for it."""
    given = item.resource
    r4 = fhir.version == "R4"
    medication = given.get("medication") or {}
    reference = given.get("medicationReference") if r4 else medication.get("reference")
    if reference is None:
        return (given.get("medicationCodeableConcept") if r4 else medication.get("concept")), None
    element = f"{item.type}.medicationReference" if r4 else f"{item.type}.medication"
    target = fhir.resolve(reference, item, element, "Medication")
    concept = target.resource.get("code")
    if concept is None and isinstance(reference.get("display"), str) and reference["display"].strip():
        concept = {"text": reference["display"]}
    return concept, target


def _given(fhir: FhirInput, item: Located) -> tuple[list[str], str | None]:
    """(names of what was given, lot) of a medication[x] (`medication_of`): the referenced Medication's identifiers,
    then the concept's text, codes and displays; no names when the medication is not named at all."""
    concept, target = medication_of(fhir, item)
    if target is None:
        return list(_concept_names(concept)), None
    return [*_identifiers(target.resource), *_concept_names(concept)], (target.resource.get("batch") or {}).get(
        "lotNumber"
    )


def names_intervention(fhir: FhirInput, item: Located, interventions: tuple[d.Intervention, ...]) -> bool:
    """Whether a MedicationStatement or MedicationRequest (one that names a medication) is about a study
    intervention, by the rule administrations are matched by."""
    return match_intervention(interventions, _given(fhir, item)[0]) is not None


def with_preceding_procedures(fhir: FhirInput, interventions: tuple[d.Intervention, ...]) -> tuple[d.Intervention, ...]:
    """Interventions whose administrations cite a Procedure (supportingInformation) and that name no `preceded_by`
    get that procedure: its SNOMED CT display and code, else its code text up to ' (before'."""
    found: dict[str, dict[str, Any]] = {}
    for item in fhir.each("MedicationAdministration"):
        for ref in item.resource.get("supportingInformation") or []:
            info = fhir.resolve(ref, item, "MedicationAdministration.supportingInformation")
            intervention = match_intervention(interventions, _given(fhir, item)[0])
            if info.type == "Procedure" and intervention is not None:
                found.setdefault(intervention.code, info.resource.get("code") or {})
    updated = []
    for intervention in interventions:
        concept = found.get(intervention.code)
        if concept is not None and intervention.preceded_by is None:
            snomed = next((c for c in codings(concept) if c.get("system") == codes.SNOMED), {})
            name = snomed.get("display") or str(concept.get("text") or "").split(" (before")[0]
            if name:
                intervention = replace(intervention, preceded_by=name, preceded_by_snomed=snomed.get("code"))
        updated.append(intervention)
    return tuple(updated)


def match_intervention(interventions: tuple[d.Intervention, ...], names: list[str]) -> d.Intervention | None:
    """The first intervention whose code, name or treatment equals one of `names` (exactly, else ignoring case)."""
    for key in (lambda s: s, lambda s: s.strip().casefold()):
        for name in names:
            for intervention in interventions:
                if key(name) in (key(intervention.code), key(intervention.name), key(intervention.treatment)):
                    return intervention
    return None


def _name(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    return concept.get("text") or next((c["display"] for c in codings(concept) if c.get("display")), "")


def _identifiers(medication: dict[str, Any]) -> Iterator[str]:
    """Identifier values; a lot's '<intervention code>/<lot>' also as the intervention code."""
    for identifier in medication.get("identifier") or []:
        value = identifier.get("value") if isinstance(identifier, dict) else None
        if isinstance(value, str) and value:
            yield value
            if "/" in value:
                yield value.split("/")[0]


def _concept_names(concept: Any) -> Iterator[str]:
    """text, then each coding's code and display."""
    if not isinstance(concept, dict):
        return
    if isinstance(concept.get("text"), str):
        yield concept["text"]
    for coding in codings(concept):
        for key in ("code", "display"):
            if isinstance(coding.get(key), str):
                yield coding[key]
