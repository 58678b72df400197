"""One entry point for every kind of trial input: a records folder, or an EDC's ODM 1.3 export with its mapping.

Commands call `load_trial` and never care which reader ran. Readers raise `InputError` naming file, row/element and
field; readers that can drop incomplete rows under a configured policy return those as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records


@dataclass(frozen=True)
class LoadedTrial:
    records: TrialRecords
    warnings: tuple[Issue, ...] = ()


def _usage(source: Path, message: str) -> InputError:
    return InputError([Issue("INPUT", Severity.ERROR, message, where=str(source))], summary="cannot read input")


def load_trial(
    source: str | Path, *, odm_mapping: str | Path | None = None, study: str | Path | None = None
) -> LoadedTrial:
    """A records folder, or an ODM XML file (then `odm_mapping` and `study` are required)."""
    source = Path(source)
    if source.is_dir():
        if odm_mapping is not None:
            raise _usage(source, "--odm-mapping applies to an ODM XML file, not to a records folder")
        return LoadedTrial(read_records(source))
    if not source.exists():
        raise _usage(source, "input not found (expected a records folder or an ODM XML file)")
    if source.suffix.lower() != ".xml":
        raise _usage(source, "unknown input: expected a records folder or an ODM XML file (.xml)")
    if odm_mapping is None or study is None:
        raise _usage(source, "an ODM file needs --odm-mapping (mappings/odm/*.yaml) and --study (study.json)")
    from trialinterop.odm.reader import load_odm

    result = load_odm(source, odm_mapping, study)
    return LoadedTrial(result.records, tuple(result.warnings))
