"""`validate(paths)`: read a package, run the rules, apply accepted findings; what the CLI and tests call."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from trialinterop.definition.bundled import bundled_definition, bundled_study_ids
from trialinterop.errors import SpecError
from trialinterop.issues import Issue, Severity
from trialinterop.spec import Spec, load_spec, with_data_terms
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
    spec: str = ""  # which specification the rules ran with, and why

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


@dataclass(frozen=True)
class SpecChoice:
    """The study specification the rules run with (None: standard SDTMIG metadata only) and why, in one line."""

    spec: Spec | None
    reason: str


def choose_spec(package: Package, spec_dir: str | Path | None = None) -> SpecChoice:
    """`spec_dir` when given (SpecError when it does not load, so the run stops); else the bundled specification when
    DM.STUDYID names its study. A bundled specification that does not load is a SpecError too, never "no spec"."""
    if spec_dir is not None:
        folder = Path(spec_dir)
        if not folder.is_dir():
            raise SpecError(f"--spec {folder}: not a folder")
        spec = load_spec(folder)
        return SpecChoice(spec, f"spec: {folder} (given with --spec; study {spec.study.study_oid})")
    dm = package.get("DM")
    if dm is None or "STUDYID" not in dm.frame.columns or dm.frame.empty:
        return SpecChoice(None, "spec: none, SDTMIG 3.4 metadata only (no DM.STUDYID to match a bundled study)")
    found = sorted({str(v) for v in dm.frame["STUDYID"].dropna().unique()})
    if len(found) == 1 and found[0].upper() in bundled_study_ids():
        spec = load_spec(definition=bundled_definition(found[0]))
        spec = with_data_terms(spec, {name: dataset.frame for name, dataset in package.datasets.items()})
        return SpecChoice(spec, f"spec: bundled {spec.study.study_oid} (DM.STUDYID {found[0]} is its study)")
    return SpecChoice(
        None,
        f"spec: none, SDTMIG 3.4 metadata only (DM.STUDYID {', '.join(found) or 'empty'} is no bundled study;"
        " give --spec DIR for a study's own specification)",
    )


def validate(
    paths: list[str | Path],
    *,
    define: str | Path | None = None,
    accepted: str | Path | None = None,
    spec_dir: str | Path | None = None,
) -> ValidationResult:
    """Validate SDTM datasets (XPT v5 / Dataset-JSON), define.xml and FHIR output. Raises InputError if unreadable,
    SpecError if `spec_dir` (or the bundled specification) does not load."""
    acceptances = load_accepted(accepted) if accepted else []
    package = load_package(paths, define=define)
    choice = choose_spec(package, spec_dir)
    issues = run_rules(package, spec=choice.spec)
    triage = apply_accepted(issues, acceptances)
    return ValidationResult(
        inputs=package.inputs,
        define=package.define.path if package.define else None,
        datasets=summarise(package),
        fhir_resources=len(package.fhir.resources),
        issues=tuple(triage.open),
        accepted=tuple(triage.accepted),
        rules=tuple(all_rules()),
        spec=choice.reason,
    )
