"""FHIR R4/R5 input (a Bundle file or an NDJSON export folder) read back into `TrialRecords`.

`load.read_fhir` parses and indexes the resources (version detection, reference resolution, size limits);
`to_records.fhir_to_records` rebuilds the trial's records, from which SDTM is built as from any other input.
"""

from __future__ import annotations

from trialinterop.fhir_in.load import FhirInput, is_fhir_source, read_fhir
from trialinterop.fhir_in.to_records import fhir_to_records, load_fhir_trial

__all__ = ["FhirInput", "fhir_to_records", "is_fhir_source", "load_fhir_trial", "read_fhir"]
