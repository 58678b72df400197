"""What the CLI and end-to-end tests call: `convert_to_sdtm` (records folder -> SDTM package).

Errors: `InputError` when the records are invalid (every bad row listed), `ConformanceError` when the built
datasets break the specification or an XPORT limit (every issue listed; nothing written), `SpecError` when
`mappings/` itself is inconsistent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trialinterop.ct import load_terminology
from trialinterop.issues import Issue
from trialinterop.progress import progress_task
from trialinterop.sdtm.build import RecordsElsewhere, check_build, iter_sdtm
from trialinterop.sdtm.conform import conform_each
from trialinterop.source.models import TrialRecords
from trialinterop.source.reader import read_records
from trialinterop.spec import load_spec
from trialinterop.writers.package import write_package
from trialinterop.writers.xpt import Engine


@dataclass(frozen=True)
class SdtmResult:
    out_dir: Path
    files: tuple[str, ...]
    rows: dict[str, int]  # records per written dataset, in package order
    issues: tuple[Issue, ...]  # builder findings, then conform/writer findings (all below ERROR)


def convert_to_sdtm(
    records: TrialRecords | str | Path,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = ("xpt",),
    define: bool = True,
    xpt_engine: Engine = "native",
    elsewhere: RecordsElsewhere | None = None,
) -> SdtmResult:
    """Build every dataset from `records` (or a records folder), conform and write them atomically to `out_dir`.

    With `define`, define.xml and its human-readable rendering define.html are written beside the datasets.
    `xpt_engine="pyreadstat"` writes the XPT files with pyreadstat instead of the native encoder (same content).
    `elsewhere`: where the subjects' records are when `records` holds the definition only (Spark's executors).
    """
    with progress_task(4, "SDTM package") as task:
        if not isinstance(records, TrialRecords):
            records = read_records(records)
        task.advance()
        terminology = load_terminology()
        spec = load_spec(definition=records.definition)
        noted = check_build(records) if elsewhere is None else elsewhere.notes()
        # each dataset is conformed as soon as it is built and its built frame let go (writers take conformed
        # datasets, which are typed and categorical: a fraction of the built frames' memory)
        conformed, conform_issues = conform_each(iter_sdtm(records, terminology, spec=spec, elsewhere=elsewhere), spec)
        task.advance()
        package = write_package(
            conformed,
            out_dir,
            spec=spec,
            issues=conform_issues,
            formats=tuple(formats),
            define=define,
            define_html=define,
            xpt_engine=xpt_engine,
        )
        task.advance(2)
    return SdtmResult(
        out_dir=package.out_dir,
        files=package.files,
        rows={name: len(frame) for name, frame in package.frames.items()},
        issues=(*noted, *package.issues),
    )
