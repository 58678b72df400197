"""The registry record given with `--study study.json`, as for ODM input: it replaces whatever the FHIR input carries
about the study (needed when the input has no sponsor extensions, e.g. a Joint Mapping IG export). The input's main
ResearchStudy must identify the same trial: its STUDYID or NCT number among the ResearchStudy's identifiers.
"""

from __future__ import annotations

from pathlib import Path

from trialinterop.errors import InputError
from trialinterop.fhir_in.load import FhirInput
from trialinterop.fhir_in.to_study import main_study
from trialinterop.issues import Issue
from trialinterop.source import models as m
from trialinterop.source.reader import read_study


def read_given_study(fhir: FhirInput, path: str | Path) -> m.Study:
    """study.json at `path`, checked against the input's main ResearchStudy."""
    problems: list[Issue] = []
    study = read_study(Path(path), problems)
    if study is None:
        raise InputError(problems, summary=f"invalid study file {path}")
    item = main_study(fhir)
    identifiers = item.resource.get("identifier")
    found = [i.get("value") for i in identifiers if isinstance(i, dict)] if isinstance(identifiers, list) else []
    values = [str(v) for v in dict.fromkeys(found) if v]
    if study.study_id not in values and study.nct_id not in values:
        raise item.fail(
            "ResearchStudy.identifier",
            f"the input's study ({', '.join(values) or 'no identifier'}) is not the study of --study "
            f"{Path(path).name} (STUDYID {study.study_id}, NCT number {study.nct_id})",
        )
    return study
