"""Write the coverage report of fhir-to-sdtm (`--report coverage.json`), atomically, also for a refused input."""

from __future__ import annotations

import json
from pathlib import Path

from trialinterop.atomic import staged_file
from trialinterop.fhir_in.coverage import Coverage
from trialinterop.issues import Issue


def write_coverage(
    coverage: Coverage, path: Path, *, source: str, version: str, problems: tuple[Issue, ...] = ()
) -> None:
    """The JSON report (fhir_in.coverage.Coverage.report) plus the problems that refused the input, if any."""
    document = coverage.report(source=source, version=version)
    document["refused"] = bool(problems)
    document["problems"] = [
        {"severity": i.severity.name, "rule": i.rule, "where": i.where, "element": i.field, "message": i.message}
        for i in problems
    ]
    with staged_file(path) as staged:
        staged.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
