"""Write a trial's FHIR output to disk, atomically: a transaction or collection Bundle (one JSON file) or an NDJSON
folder. Nothing is left half-written: the output is built beside its destination and swapped in when complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from trialinterop.atomic import staged_directory, staged_file
from trialinterop.errors import TrialInteropError
from trialinterop.fhir.build import build_resources
from trialinterop.fhir.bundle import BundleType, write_bundle
from trialinterop.fhir.context import Context
from trialinterop.fhir.ids import resource_id
from trialinterop.fhir.ndjson import write_ndjson
from trialinterop.fhir.terminology import fhir_terminology
from trialinterop.fhir.versions import release
from trialinterop.progress import progress
from trialinterop.source.models import TrialRecords

OutputForm = Literal["transaction", "collection", "ndjson"]
FORMS: tuple[str, ...] = ("transaction", "collection", "ndjson")


@dataclass(frozen=True, slots=True)
class FhirOutput:
    path: Path
    version: str
    form: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def write_fhir(records: TrialRecords, out: str | Path, *, version: str = "R4", form: str = "transaction") -> FhirOutput:
    """Build and write; `out` is a file for the bundle forms and a folder for ndjson."""
    fhir_release = release(version)
    if form not in FORMS:
        raise TrialInteropError(f"unknown output form {form!r}: choose one of {', '.join(FORMS)}")
    out = Path(out)
    ctx = Context(
        records.definition,
        fhir_release,
        fhir_terminology(records.definition),
        "relative" if form == "ndjson" else "urn",
    )
    resources = progress(build_resources(records, context=ctx), description=f"FHIR {fhir_release.name} resources")
    if form == "ndjson":
        require_replaceable_folder(out)
        with staged_directory(out) as folder:
            counts = write_ndjson(resources, folder, referenced=ctx.referenced)
        return FhirOutput(out, fhir_release.name, form, counts)
    if out.is_dir():
        raise TrialInteropError(f"{out}: a Bundle is written to a file, but a folder exists there")
    bundle_counts: dict[str, int] = {}
    bundle_id = resource_id("Bundle", records.study.study_id, fhir_release.name, form)
    with staged_file(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as handle:
        bundle_type: BundleType = "transaction" if form == "transaction" else "collection"
        stream = _counted(resources, bundle_counts)
        write_bundle(stream, handle, bundle_type=bundle_type, bundle_id=bundle_id, referenced=ctx.referenced)
    return FhirOutput(out, fhir_release.name, form, bundle_counts)


def _counted(resources: Iterable[dict[str, Any]], counts: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Pass resources through, counting them per type."""
    for resource in resources:
        kind = resource["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
        yield resource


def require_replaceable_folder(out: Path) -> None:
    """An NDJSON export replaces its folder whole: only a missing, empty or earlier-export folder may be replaced."""
    if not out.exists():
        return
    if not out.is_dir():
        raise TrialInteropError(f"{out}: NDJSON output is a folder, but a file exists there")
    foreign = sorted(p.name for p in out.iterdir() if not (p.is_file() and p.suffix == ".ndjson"))
    if foreign:
        raise TrialInteropError(
            f"{out}: refusing to replace a folder that holds more than an NDJSON export (e.g. {foreign[0]})"
        )
