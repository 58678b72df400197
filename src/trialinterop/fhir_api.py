"""`convert_to_fhir`: trial records (or a records folder) -> FHIR output, what the CLI and end-to-end tests call."""

from __future__ import annotations

from pathlib import Path

from trialinterop.fhir.emit import FhirOutput, write_fhir
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records


def convert_to_fhir(
    records: TrialRecords | str | Path, out: str | Path, *, version: str = "R4", form: str = "transaction"
) -> FhirOutput:
    """Write FHIR `version` as `form`; a records folder is read and checked first (InputError names every bad row)."""
    if not isinstance(records, TrialRecords):
        records = read_records(records)
    return write_fhir(records, out, version=version, form=form)
