"""The study definition given with `--study` (a definition file or a bundled study id): it replaces whatever the FHIR
input carries about the study, and it is what tells the findings Observations apart (instruments and their tests).
The input's main ResearchStudy must identify the same trial: its STUDYID or a registry id (e.g. the NCT number)
among the ResearchStudy's identifiers.
"""

from __future__ import annotations

from pathlib import Path

from trialinterop.definition import StudyDefinition, resolve_definition
from trialinterop.fhir_in.load import FhirInput
from trialinterop.fhir_in.to_study import main_study


def read_given_definition(fhir: FhirInput, study: str | Path | StudyDefinition) -> StudyDefinition:
    """The definition `study` names (or is), checked against the input's main ResearchStudy."""
    definition = study if isinstance(study, StudyDefinition) else resolve_definition(study)
    item = main_study(fhir)
    identifiers = item.resource.get("identifier")
    found = [i.get("value") for i in identifiers if isinstance(i, dict)] if isinstance(identifiers, list) else []
    values = [str(v) for v in dict.fromkeys(found) if v]
    ids = [definition.study.id, *(r.id for r in definition.study.registry_ids)]
    if not set(ids) & set(values):
        named = study.study.id if isinstance(study, StudyDefinition) else Path(study).name
        raise item.fail(
            "ResearchStudy.identifier",
            f"the input's study ({', '.join(values) or 'no identifier'}) is not the study of --study {named} "
            f"(STUDYID {definition.study.id}; registry ids {', '.join(r.id for r in definition.study.registry_ids)})",
        )
    return definition
