"""Study interventions from the study Medications, and which intervention an administration gave.

A Medication without a lot (`batch`) is a study intervention: code = its identifier, name = code.text (or a coding's
display). The registry facts FHIR has no element for (type, treatment name, planned dose, route, frequency,
population) come from the sponsor intervention extension; without it the treatment name (EXTRT) is the name in
upper case and the rest unknown, with a warning. MedicationAdministration.medication[x] (a CodeableConcept, or the
referenced Medication's identifier and code) is matched against the interventions' codes, names and treatment names;
an administration of anything else is an error, as in a records folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trialinterop.fhir import sponsor
from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.values import codings, fields, identifier_value
from trialinterop.source import models as m

UNKNOWN_WITHOUT_EXTENSION = "planned dose, dose unit, route, frequency, population and description"


def study_interventions(fhir: FhirInput) -> tuple[m.Intervention, ...]:
    """One per study Medication that is not a lot (no batch), in input order."""
    found = []
    for item in fhir.each("Medication"):
        medication = item.resource
        if "batch" in medication:
            continue
        facts = fields(medication, sponsor.INTERVENTION)
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
                f"name in upper case), type assumed DRUG; {UNKNOWN_WITHOUT_EXTENSION} unknown; give the registry "
                "record with --study study.json",
            )
        found.append(
            m.Intervention(
                code=code,
                name=name,
                type=facts.get("type", "DRUG"),
                description=facts.get("description", ""),
                treatment=facts.get("treatment", name.upper() if not facts else name),
                dose=float(facts["dose"]) if facts.get("dose") is not None else None,
                dose_unit=facts.get("dose_unit"),
                route=facts.get("route"),
                dose_form=facts.get("dose_form", form.get("text")),
                frequency=facts.get("frequency"),
                population=facts.get("population"),
            )
        )
    return tuple(found)


def administered(fhir: FhirInput, item: Located, study: m.Study) -> tuple[str, str | None]:
    """(treatment name, lot) of a MedicationAdministration: the study intervention its medication[x] names."""
    given = item.resource
    r4 = fhir.version == "R4"
    medication = given.get("medication") or {}
    reference = given.get("medicationReference") if r4 else medication.get("reference")
    if reference is not None:
        element = "MedicationAdministration.medicationReference" if r4 else "MedicationAdministration.medication"
        target = fhir.resolve(reference, item, element, "Medication").resource
        names = [*_identifiers(target), *_concept_names(target.get("code"))]
        lot = (target.get("batch") or {}).get("lotNumber")
    else:
        concept = given.get("medicationCodeableConcept") if r4 else medication.get("concept")
        element = "MedicationAdministration.medicationCodeableConcept" if r4 else "MedicationAdministration.medication"
        names, lot = list(_concept_names(concept)), None
    if not names:
        raise item.fail(element, "required: the treatment given (EXTRT), as a code, display or text")
    intervention = match_intervention(study, names)
    if intervention is None:
        known = ", ".join(f"{i.code} ({i.name})" for i in study.interventions) or "none"
        raise item.fail(
            element, f"{names[0]!r} matches none of the study's interventions by code or name (interventions: {known})"
        )
    return intervention.treatment, lot


def match_intervention(study: m.Study, names: list[str]) -> m.Intervention | None:
    """The first intervention whose code, name or treatment equals one of `names` (exactly, else ignoring case)."""
    for key in (lambda s: s, lambda s: s.strip().casefold()):
        for name in names:
            for intervention in study.interventions:
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
