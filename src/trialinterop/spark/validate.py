"""`validate --engine spark`: packages x rule slices run by the single-machine rule engine in the executors.

Design (docs/scale-out.md): the work of a validation is the rules, and every rule is a function of the whole package
(`validate.engine.run_rules`). So a Spark task is (package, slice of the rules): the executor reads the package (a
folder every executor can read, e.g. on a shared file system; kept in the Python worker for its next slice), picks
the specification as on one machine (`api.choose_spec`), runs its rules with `run_rules` and returns their findings
keyed by rule. The driver puts the findings back in rule-id order, applies the accepted findings (`apply_accepted`)
and builds the same `ValidationResult` as `validate.api.validate`: the same findings in the same order, by
construction. The driver never reads the datasets; the first task of each package also returns its summary (datasets,
records, the specification chosen).

Distributed: packages, and the rules of one package across tasks (round-robin, so each task gets a share of the costly
ones). Not distributed: the data of one package (each task reads all of it; no rule is split by dataset or subject).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialinterop.errors import InputError, SpecError
from trialinterop.issues import Issue
from trialinterop.validate.accept import apply_accepted, load_accepted
from trialinterop.validate.api import DatasetSummary, SpecChoice, ValidationResult, choose_spec, summarise
from trialinterop.validate.engine import run_rules
from trialinterop.validate.package import Package, load_package
from trialinterop.validate.registry import all_rules


@dataclass(frozen=True)
class PackageInput:
    """What one package is read from: its folders/files and an optional define.xml (as `validate(paths, define=)`)."""

    paths: tuple[str, ...]
    define: str | None = None


@dataclass(frozen=True)
class Head:
    inputs: tuple[str, ...]
    define: str | None
    datasets: tuple[DatasetSummary, ...]
    fhir_resources: int
    spec: str


@dataclass(frozen=True)
class TaskResult:
    package: int
    head: Head | None
    findings: tuple[tuple[int, tuple[Issue, ...]], ...]
    """(rule number in id order, its issues)."""
    error: tuple[str, tuple[Issue, ...], str] | None = None
    """(kind, issues, message) of an InputError or SpecError the task met."""


_LOADED: dict[tuple[Any, ...], tuple[Package, SpecChoice]] = {}
"""The last package a Python worker read (its next slice of the same package reuses it)."""


def _loaded(source: PackageInput, spec_dir: str | None) -> tuple[Package, SpecChoice]:
    key = (source.paths, source.define, spec_dir)
    if key not in _LOADED:
        _LOADED.clear()
        package = load_package(list(source.paths), define=source.define)
        _LOADED[key] = (package, choose_spec(package, spec_dir))
    return _LOADED[key]


def run_task(task: tuple[int, int, int], sources: list[PackageInput], spec_dir: str | None) -> TaskResult:
    """Slice `number` of `slices` of the rules over package `index` (in an executor)."""
    index, number, slices = task
    try:
        package, choice = _loaded(sources[index], spec_dir)
        rules = all_rules()
        mine = list(range(number, len(rules), slices))
        findings = tuple((n, tuple(run_rules(package, rules=[rules[n]], spec=choice.spec))) for n in mine)
    except InputError as exc:
        return TaskResult(index, None, (), ("input", exc.issues, exc.summary))
    except SpecError as exc:
        return TaskResult(index, None, (), ("spec", (), str(exc)))
    head = None
    if number == 0:
        define = package.define.path if package.define else None
        head = Head(package.inputs, define, summarise(package), len(package.fhir.resources), choice.reason)
    return TaskResult(index, head, findings)


def validate_spark(
    session: Any,
    packages: list[PackageInput],
    *,
    accepted: str | Path | None = None,
    spec_dir: str | Path | None = None,
    slices: int | None = None,
) -> list[ValidationResult]:
    """`validate.api.validate` of each package, run in Spark (see the module docstring); results in package order.
    Raises the first package's InputError or SpecError, as validating the packages one after another would."""
    acceptances = load_accepted(accepted) if accepted else []
    context = session.sparkContext
    rules = all_rules()
    per_package = slices or max(1, min(len(rules), 2 * context.defaultParallelism // max(1, len(packages)) or 1))
    tasks = [(i, n, per_package) for i in range(len(packages)) for n in range(per_package)]
    spec = str(spec_dir) if spec_dir is not None else None
    sources = list(packages)
    found = context.parallelize(tasks, len(tasks)).map(lambda task: run_task(task, sources, spec)).collect()
    results = []
    for index in range(len(packages)):
        mine = [r for r in found if r.package == index]
        _raise_first(mine)
        head = next(r.head for r in mine if r.head is not None)
        by_rule = sorted((n, issues) for r in mine for n, issues in r.findings)
        issues = [issue for _, found_issues in by_rule for issue in found_issues]
        triage = apply_accepted(issues, acceptances)
        results.append(
            ValidationResult(
                inputs=head.inputs,
                define=head.define,
                datasets=head.datasets,
                fhir_resources=head.fhir_resources,
                issues=tuple(triage.open),
                accepted=tuple(triage.accepted),
                rules=tuple(rules),
                spec=head.spec,
            )
        )
    return results


def _raise_first(results: list[TaskResult]) -> None:
    for result in results:
        if result.error is None:
            continue
        kind, issues, message = result.error
        if kind == "input":
            raise InputError(issues, summary=message)
        raise SpecError(message)


__all__ = ["PackageInput", "validate_spark"]
