"""`validate(paths)`: read a package, run the rules, apply accepted findings; what the CLI and tests call."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from trialinterop.issues import Issue, Severity
from trialinterop.validate.accept import Acceptance, apply_accepted, load_accepted
from trialinterop.validate.engine import run_rules
from trialinterop.validate.package import Package, load_package
from trialinterop.validate.registry import Rule, all_rules


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    name: str
    label: str
    path: str
    records: int
    variables: int
    source_format: str


@dataclass(frozen=True)
class ValidationResult:
    inputs: tuple[str, ...]
    define: str | None
    datasets: tuple[DatasetSummary, ...]
    fhir_resources: int
    issues: tuple[Issue, ...]  # open findings (stale acceptances included)
    accepted: tuple[tuple[Issue, Acceptance], ...] = ()
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def failing(self, threshold: Severity) -> list[Issue]:
        return [i for i in self.issues if i.severity >= threshold]

    def counts_by_rule(self) -> list[tuple[str, Severity, int]]:
        counts = Counter((i.rule, i.severity) for i in self.issues)
        return sorted(((r, s, n) for (r, s), n in counts.items()), key=lambda t: (-t[1], t[0]))

    def dataset_counts(self) -> Counter[str]:
        return Counter(i.where for i in self.issues)


def summarise(package: Package) -> tuple[DatasetSummary, ...]:
    return tuple(
        DatasetSummary(ds.name, ds.label, ds.path, len(ds.frame), len(ds.variables), ds.source_format)
        for ds in package.datasets.values()
    )


def study_spec_for(package: Package) -> object | None:
    """This project's specification (`mappings/`) when the package is its study (same STUDYID), else None."""
    dm = package.get("DM")
    if dm is None or "STUDYID" not in dm.frame.columns or dm.frame.empty:
        return None
    try:
        from trialinterop.spec import load_spec

        spec = load_spec()
    except Exception:  # no usable spec here (e.g. an installed copy without mappings): standard metadata only
        return None
    study_ids = {spec.study.study_oid, spec.study.study_name, spec.study.protocol_name}
    return spec if str(dm.frame["STUDYID"].iloc[0]) in study_ids else None


def validate(
    paths: list[str | Path], *, define: str | Path | None = None, accepted: str | Path | None = None
) -> ValidationResult:
    """Validate SDTM datasets (XPT v5 / Dataset-JSON), define.xml and FHIR output. Raises InputError if unreadable."""
    acceptances = load_accepted(accepted) if accepted else []
    package = load_package(paths, define=define)
    issues = run_rules(package, spec=study_spec_for(package))
    triage = apply_accepted(issues, acceptances)
    return ValidationResult(
        inputs=package.inputs,
        define=package.define.path if package.define else None,
        datasets=summarise(package),
        fhir_resources=len(package.fhir.resources),
        issues=tuple(triage.open),
        accepted=tuple(triage.accepted),
        rules=tuple(all_rules()),
    )
