"""The terms the FHIR builders code with NCI Thesaurus: the study's codelists (its specification, `codelists.csv`
and its definition) completed with every CDISC CT term of the same lists, so a collected value such as a
medication's route or unit is coded even when the study's list does not name it. Such a term's display is its
submission value: the bundled CT (`mappings/sdtmig-3.4/ct.csv`) holds no decodes."""

from __future__ import annotations

from functools import cache

from trialinterop.ct import Terminology, cdisc_terms
from trialinterop.definition.model import StudyDefinition
from trialinterop.spec import load_spec


@cache
def fhir_terminology(definition: StudyDefinition) -> Terminology:
    study = load_spec(definition=definition).terminology
    return Terminology(
        {
            name: codelist.with_terms({v: c for v, c in cdisc_terms(name).items() if codelist.find(v) is None})
            for name, codelist in study.codelists.items()
        }
    )
