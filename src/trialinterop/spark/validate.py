"""`validate --engine spark`: the rules of each package run in the executors on the part of the data they need.

Design (docs/scale-out.md). Each rule declares its split (`validate.registry`), and a package becomes three kinds of
Spark task, all running the single-machine rules (`validate.partition`):

- subject parts (package, part of P): the executor reads every dataset of the package one by one, keeping only the
  records of the subjects whose USUBJID hashes to its part (trial-level datasets whole), and runs the subject-split
  rules; each record keeps its row in the whole dataset;
- datasets (package, dataset): the executor reads that one dataset (and define.xml) and runs the dataset-split rules;
- rule slices (package, slice of the other rules): the executor reads the whole package as before, picks the
  specification (`api.choose_spec`) and runs its slice with `run_rules`; the first slice also returns the package
  summary. A Python worker keeps the package it read for its next slice.

The driver merges each rule's findings back into the single-machine order (`partition.merge_subject`,
`merge_datasets`), runs in a second job, on the whole package, any split rule whose parts cannot be merged (it raised
in a part, or emitted in an order the merge cannot rebuild), puts the rules in id order, applies the accepted findings
and builds the same `ValidationResult` as `validate.api.validate`. The driver never reads the datasets.
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
from trialinterop.validate.package import Package, dataset_file_names, load_package
from trialinterop.validate.partition import PartRun, merge_datasets, merge_subject, run_part, subject_part
from trialinterop.validate.registry import Rule, all_rules
from trialinterop.validate.standards import load_standard


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
class Task:
    package: int
    kind: str  # "rules" (a slice of the package-split rules, or named rules), "subjects", "dataset"
    part: int = 0  # slice number or subject part
    parts: int = 1
    dataset: str = ""
    rules: tuple[int, ...] = ()  # for "rules": the rule numbers (in id order) to run
    head: bool = False


@dataclass(frozen=True)
class TaskResult:
    task: Task
    head: Head | None = None
    findings: tuple[tuple[int, tuple[Issue, ...]], ...] = ()
    """(rule number in id order, its issues) for rules run on the whole package."""
    parts: tuple[tuple[int, PartRun], ...] = ()
    """(rule number, its run on this task's part) for split rules."""
    whole: tuple[str, ...] = ()
    """subject parts: the datasets this part holds whole (trial-level)."""
    error: tuple[str, tuple[Issue, ...], str] | None = None
    """(kind, issues, message) of an InputError or SpecError the task met."""


_LOADED: dict[tuple[Any, ...], tuple[Package, SpecChoice]] = {}
"""The last whole package a Python worker read (its next slice of the same package reuses it)."""


def _loaded(source: PackageInput, spec_dir: str | None) -> tuple[Package, SpecChoice]:
    key = (source.paths, source.define, spec_dir)
    if key not in _LOADED:
        _LOADED.clear()
        package = load_package(list(source.paths), define=source.define)
        _LOADED[key] = (package, choose_spec(package, spec_dir))
    return _LOADED[key]


def run_task(task: Task, sources: list[PackageInput], spec_dir: str | None, names: list[list[str]]) -> TaskResult:
    """One task in an executor (see the module docstring)."""
    source = sources[task.package]
    rules = all_rules()
    try:
        if task.kind == "rules":
            package, choice = _loaded(source, spec_dir)
            found = tuple((n, tuple(run_rules(package, rules=[rules[n]], spec=choice.spec))) for n in task.rules)
            head = None
            if task.head:
                define = package.define.path if package.define else None
                head = Head(package.inputs, define, summarise(package), len(package.fhir.resources), choice.reason)
            return TaskResult(task, head=head, findings=found)
        _LOADED.clear()  # a part's task holds its part only, not a whole package an earlier slice left in this worker
        standard = load_standard()
        if task.kind == "subjects":
            part = load_package(
                list(source.paths),
                define=source.define,
                names=names[task.package],
                each=lambda ds: subject_part(ds, task.part, task.parts),
            )
            split = "subject"
        else:
            part = load_package(list(source.paths), define=source.define, names=[task.dataset])
            split = "dataset"
        runs = tuple((n, run_part(part, r, standard)) for n, r in enumerate(rules) if r.split == split)
        whole = tuple(name for name, ds in part.datasets.items() if ds.positions is None)
        return TaskResult(task, parts=runs, whole=whole)
    except InputError as exc:
        return TaskResult(task, error=("input", exc.issues, exc.summary))
    except SpecError as exc:
        return TaskResult(task, error=("spec", (), str(exc)))


def _plan(packages: list[PackageInput], rules: list[Rule], names: list[list[str]], width: int) -> list[Task]:
    """Tasks of every package: subject parts, one task per dataset, slices of the package-split rules."""
    whole = [n for n, r in enumerate(rules) if r.split == "package"]
    per_package = max(1, width // max(1, len(packages)))
    parts = max(2, per_package)
    slices = max(1, min(len(whole), per_package))
    tasks: list[Task] = []
    for index in range(len(packages)):
        tasks += [Task(index, "rules", n, slices, rules=tuple(whole[n::slices]), head=n == 0) for n in range(slices)]
        tasks += [Task(index, "subjects", p, parts) for p in range(parts)]
        tasks += [Task(index, "dataset", dataset=name) for name in names[index]]
    return tasks


def validate_spark(
    session: Any,
    packages: list[PackageInput],
    *,
    accepted: str | Path | None = None,
    spec_dir: str | Path | None = None,
    slices: int | None = None,
) -> list[ValidationResult]:
    """`validate.api.validate` of each package, run in Spark (see the module docstring); results in package order.
    `slices`: tasks per package of each kind (default: twice the default parallelism shared by the packages).
    Raises the first package's InputError or SpecError, as validating the packages one after another would."""
    acceptances = load_accepted(accepted) if accepted else []
    context = session.sparkContext
    rules = all_rules()
    names = [dataset_file_names(list(p.paths)) for p in packages]
    tasks = _plan(packages, rules, names, slices * len(packages) if slices else 2 * context.defaultParallelism)
    spec = str(spec_dir) if spec_dir is not None else None
    sources = list(packages)
    found = _run(context, tasks, sources, spec, names)
    merged: list[dict[int, list[Issue]]] = []
    again: list[Task] = []
    for index in range(len(packages)):
        mine = [r for r in found if r.task.package == index]
        _raise_first(mine)
        by_rule, unmerged = _merge(mine, rules)
        merged.append(by_rule)
        if unmerged:
            again.append(Task(index, "rules", rules=tuple(unmerged)))
    for result in _run(context, again, sources, spec, names) if again else []:
        _raise_first([result])
        merged[result.task.package].update({n: list(issues) for n, issues in result.findings})
    results = []
    for index in range(len(packages)):
        head = next(r.head for r in found if r.task.package == index and r.head is not None)
        issues = [issue for n in sorted(merged[index]) for issue in merged[index][n]]
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


def _run(context: Any, tasks: list[Task], sources: list[PackageInput], spec: str | None, names: list[list[str]]):
    found = context.parallelize(tasks, len(tasks)).map(lambda task: run_task(task, sources, spec, names)).collect()
    return sorted(found, key=lambda r: r.task.kind != "rules")  # a whole-package read's error first, as on one machine


def _merge(results: list[TaskResult], rules: list[Rule]) -> tuple[dict[int, list[Issue]], list[int]]:
    """Each rule's findings of one package in the single-machine order, and the split rules that must run whole."""
    by_rule: dict[int, list[Issue]] = {n: list(issues) for r in results for n, issues in r.findings}
    subjects = sorted((r for r in results if r.task.kind == "subjects"), key=lambda r: r.task.part)
    datasets = sorted((r for r in results if r.task.kind == "dataset"), key=lambda r: r.task.dataset)
    whole = set(subjects[0].whole) if subjects else set()
    unmerged = []
    for number, rule in enumerate(rules):
        if rule.split == "package":
            continue
        if rule.split == "subject":
            runs = [run for r in subjects for n, run in r.parts if n == number]
            issues = merge_subject(runs, whole)
        else:
            issues = merge_datasets([run for r in datasets for n, run in r.parts if n == number])
        if issues is None:
            unmerged.append(number)
        else:
            by_rule[number] = issues
    return by_rule, unmerged


def _raise_first(results: list[TaskResult]) -> None:
    for result in results:
        if result.error is None:
            continue
        kind, issues, message = result.error
        if kind == "input":
            raise InputError(issues, summary=message)
        raise SpecError(message)


__all__ = ["PackageInput", "validate_spark"]
