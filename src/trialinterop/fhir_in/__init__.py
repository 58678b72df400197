"""FHIR R4/R5 input (a Bundle file or an NDJSON export folder) read back into `TrialRecords`.

`load.read_fhir` parses and indexes the resources (version detection, reference resolution, size limits);
`to_records.fhir_to_records` rebuilds the trial's records, from which SDTM is built as from any other input;
`read_fhir_trial` also returns the warnings of every fallback taken. A study.json given as `study` replaces the
registry record carried in the input (needed for input without the sponsor extensions).
"""

from __future__ import annotations

from trialinterop.fhir_in.load import FhirInput, is_fhir_source, read_fhir
from trialinterop.fhir_in.to_records import FhirTrial, fhir_to_records, load_fhir_trial, read_fhir_trial

__all__ = [
    "FhirInput", "FhirTrial", "fhir_to_records", "is_fhir_source", "load_fhir_trial", "read_fhir", "read_fhir_trial",
]  # fmt: skip
