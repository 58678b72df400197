"""One entry point for every kind of trial input: a records folder, an EDC's ODM 1.3 export with its mapping and
the study definition, or FHIR R4/R5 (a Bundle `.json` file, or a folder of `*.ndjson` files as a server's bulk export
writes them; optionally with the study definition, a file or a bundled study id, that replaces what it carries).

Commands call `load_trial` and never care which reader ran (ODM input also brings its coverage summary). Readers
raise `InputError` naming file, row/element and field; what a reader assumed or dropped (ODM rows under a
configured policy, FHIR fallbacks) comes back as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialinterop.errors import InputError
from trialinterop.fhir_in.load import is_fhir_source
from trialinterop.issues import Issue, Severity
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records


@dataclass(frozen=True)
class LoadedTrial:
    records: TrialRecords
    warnings: tuple[Issue, ...] = ()
    coverage: Any = None  # ODM input: `odm.coverage.Coverage`, what became of every collected value


def _usage(source: Path, message: str) -> InputError:
    return InputError([Issue("INPUT", Severity.ERROR, message, where=str(source))], summary="cannot read input")


def load_trial(
    source: str | Path,
    *,
    odm_mapping: str | Path | None = None,
    study: str | Path | None = None,
    fhir_version: str = "auto",
    strict: bool = True,
    allow_dropped: bool = False,
) -> LoadedTrial:
    """A records folder, an ODM XML file (then `odm_mapping` and `study` are required), or FHIR input (a Bundle
    `.json` file or a folder of `*.ndjson`; `fhir_version` auto, R4 or R5; `study` is the study definition, a file or
    a bundled study id, without which the definition is rebuilt from the input and its findings are not mapped, an
    error unless `strict` is False). ODM rows or subjects skipped by the mapping's `incomplete` policy raise
    `DroppedDataError` unless `allow_dropped` (or the mapping's own `allow_dropped`)."""
    source = Path(source)
    fhir = source.exists() and is_fhir_source(source)
    if fhir or source.is_dir():
        if odm_mapping is not None:
            raise _usage(source, "--odm-mapping applies to an ODM XML file, not to a records folder or FHIR input")
        if fhir:
            from trialinterop.fhir_in import read_fhir_trial

            trial = read_fhir_trial(source, version=fhir_version, study=study, strict=strict)
            return LoadedTrial(trial.records, trial.warnings)
        if study is not None:
            raise _usage(
                source,
                "--study applies to ODM or FHIR input; a records folder has its own study definition (study.yaml)",
            )
        return LoadedTrial(read_records(source))
    if not source.exists():
        raise _usage(source, "input not found (expected a records folder or an ODM XML file, or FHIR)")
    if source.suffix.lower() != ".xml":
        raise _usage(
            source,
            "unknown input: expected a records folder or an ODM XML file (.xml), "
            "or FHIR (a Bundle .json file or a folder of .ndjson files)",
        )
    if odm_mapping is None or study is None:
        raise _usage(
            source,
            "an ODM file needs --odm-mapping (mappings/odm/*.yaml) and --study "
            "(a study definition file or a bundled study id)",
        )
    from trialinterop.odm.reader import load_odm

    result = load_odm(source, odm_mapping, study, allow_dropped=allow_dropped or None)
    return LoadedTrial(result.records, tuple(result.warnings), result.coverage)
