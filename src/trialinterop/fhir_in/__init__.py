"""FHIR R4/R5 input (a Bundle file or an NDJSON export folder) read back into `TrialRecords`.

`load.read_fhir` parses and indexes the resources (version detection, reference resolution, size limits);
`to_records.fhir_to_records` rebuilds the trial's records, from which SDTM is built as from any other input;
`read_fhir_trial` also returns the warnings of every fallback taken. `study` (a study definition file, a bundled id
or a `StudyDefinition`) replaces what the input carries about the study and gives the findings instruments; without it
the definition is rebuilt from the input and findings Observations are not mapped (an error unless `strict=False`).
"""

from __future__ import annotations

from trialinterop.fhir_in.load import FhirInput, is_fhir_source, read_fhir
from trialinterop.fhir_in.to_records import FhirTrial, fhir_to_records, load_fhir_trial, read_fhir_trial

__all__ = [
    "FhirInput", "FhirTrial", "fhir_to_records", "is_fhir_source", "load_fhir_trial", "read_fhir", "read_fhir_trial",
]  # fmt: skip
