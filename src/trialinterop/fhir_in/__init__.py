"""FHIR R4/R5 input (a Bundle file or an NDJSON export folder) read back into `TrialRecords`.

The path (docs/fhir-in.md): `groups.group_input` streams the input once and groups the resources by subject;
`subjects.map_subject` maps one subject group (a pure function of the shared context and the group, the unit a
distributed engine schedules); `assemble.Assembly` joins the parts; `pipeline.read_fhir_trial` runs the three on one
machine and returns the records, the warnings of every fallback taken and the coverage of every resource and element.
`study` (a study definition file, a bundled id or a `StudyDefinition`) replaces what the input carries about the
study and gives the findings instruments; without it the definition is rebuilt from the input and findings
Observations are not mapped (an error unless `strict=False`).
"""

from __future__ import annotations

from trialinterop.fhir_in.load import FhirInput, is_fhir_source, read_fhir
from trialinterop.fhir_in.pipeline import FhirTrial, load_fhir_trial, read_fhir_trial

__all__ = ["FhirInput", "FhirTrial", "is_fhir_source", "load_fhir_trial", "read_fhir", "read_fhir_trial"]
