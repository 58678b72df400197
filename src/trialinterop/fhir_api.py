"""`convert_to_fhir`: records folder -> FHIR output, what the CLI and end-to-end tests call."""

from __future__ import annotations

from pathlib import Path

from trialinterop.fhir.emit import FhirOutput, write_fhir
from trialinterop.source.reader import read_records


def convert_to_fhir(
    records_dir: str | Path, out: str | Path, *, version: str = "R4", form: str = "transaction"
) -> FhirOutput:
    """Read and check the records folder (InputError names every bad row), then write FHIR `version` as `form`."""
    records = read_records(records_dir)
    return write_fhir(records, out, version=version, form=form)
