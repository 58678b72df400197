"""Run rules on parts of a package and put their findings back in the whole package's order (`Rule.split`).

A subject part holds every subject-level dataset (USUBJID, not trial design) cut to the subjects whose USUBJID
hashes (CRC-32) to that part, the trial-level datasets whole, and define.xml: the join of a subject's records with
its DM row and the trial design. Each record keeps its row in the whole dataset (`Dataset.positions`), so "row n"
keys are those of the whole dataset. A dataset part holds one dataset (and define.xml).

Order. `run_rules` gives a rule's findings in the order the rule emits them. A subject-split rule emits through
`row_findings`, one call per (dataset, variable, detail) in an order fixed by the data's structure, rows ascending
within a call; recording those calls (`_common.CALLS`) gives each finding the key (call, row). A part may skip calls
(a rule returns early when its part holds nothing to check), so the parts' call sequences (each call named once) are
merged into one order consistent with all of them, and sorting all findings on (position of their call there, row)
reproduces the whole run's order, provided the parts fix the order of every two calls that found something. Findings
on a dataset every part holds whole come from the first part only. When the parts break these conditions (a finding
not from `row_findings`, a call named twice, calls in another order, a part where the rule raised), `merge_subject`
says so and the rule runs on the whole package instead. A dataset-split rule's findings are those of each dataset in
turn (datasets in name order, as `Package.datasets`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from trialinterop.issues import Issue
from trialinterop.validate.context import Context
from trialinterop.validate.engine import run_rules, to_issue
from trialinterop.validate.package import Dataset, Package
from trialinterop.validate.registry import Rule
from trialinterop.validate.rules._common import CALLS, TRIAL_DESIGN, text
from trialinterop.validate.standards import Standard, load_standard

Call = tuple[str, str, str]


def subject_level(ds: Dataset) -> bool:
    """A dataset cut by subject: it has USUBJID and is not trial design (as `_common.subject_datasets`)."""
    return "USUBJID" in ds.frame.columns and ds.domain not in TRIAL_DESIGN


def parts_of(subjects: pd.Series, parts: int) -> np.ndarray:
    """The part of each record: CRC-32 of its USUBJID modulo `parts` (the same on every machine and run)."""
    codes, distinct = pd.factorize(text(subjects).to_numpy())
    part = np.array([zlib.crc32(str(v).encode("utf-8")) % parts for v in distinct] + [0], dtype=np.int64)
    return part[codes]


def subject_part(ds: Dataset, part: int, parts: int) -> Dataset:
    """The records of `ds` whose subject falls in `part`; a trial-level dataset is returned whole."""
    if not subject_level(ds):
        return ds
    rows = np.flatnonzero(parts_of(ds.frame["USUBJID"], parts) == part)
    positions = rows if ds.positions is None else ds.positions[rows]
    cut = Dataset(
        name=ds.name,
        path=ds.path,
        frame=ds.frame.iloc[rows].reset_index(drop=True),
        variables=ds.variables,
        label=ds.label,
        member=ds.member,
        source_format=ds.source_format,
        positions=positions,
    )
    cut.__dict__["domain"] = ds.domain  # the whole dataset's domain, also when this part has none of its records
    return cut


def subject_slice(package: Package, part: int, parts: int) -> Package:
    datasets = {name: subject_part(ds, part, parts) for name, ds in package.datasets.items()}
    return Package(datasets=datasets, define=package.define, inputs=package.inputs)


def dataset_slice(package: Package, name: str) -> Package:
    return Package(datasets={name: package.datasets[name]}, define=package.define, inputs=package.inputs)


@dataclass(frozen=True)
class PartRun:
    """One rule run on one part: its `row_findings` calls, its findings with their (call, row) keys, whether it
    raised."""

    calls: tuple[Call, ...]
    findings: tuple[tuple[tuple[int, int] | None, Issue], ...]
    failed: bool = False


def run_part(package: Package, rule: Rule, standard: Standard | None = None) -> PartRun:
    """`rule` over a part (no study specification: only package-split rules use it)."""
    ctx = Context(package=package, standard=standard or load_standard(), spec=None)
    calls: list[Call] = []
    token = CALLS.set(calls)
    try:
        found = tuple((finding.order, to_issue(rule, finding)) for finding in rule.check(ctx))
    except Exception:  # the whole run reports it (TI-RUN); the caller runs the rule on the whole package
        return PartRun(tuple(calls), (), failed=True)
    finally:
        CALLS.reset(token)
    return PartRun(tuple(calls), found)


def merge_subject(runs: Sequence[PartRun], whole: Iterable[str]) -> list[Issue] | None:
    """The findings of a subject-split rule's parts in the whole package's order; None when they cannot be put in
    it (see the module docstring). `whole`: the datasets every part holds whole."""
    if not runs or any(run.failed for run in runs):
        return None
    position = _call_positions(runs)
    if position is None:
        return None
    whole = set(whole)
    keyed: list[tuple[tuple[int, int], Issue]] = []
    for index, run in enumerate(runs):
        for order, issue in run.findings:
            if order is None:
                return None
            if index and issue.where in whole:
                continue
            keyed.append(((position[run.calls[order[0]]], order[1]), issue))
    keyed.sort(key=lambda item: item[0])
    if not _determined([run.calls[o[0]] for run in runs for o, _ in run.findings if o is not None], runs, position):
        return None
    return [issue for _, issue in keyed]


def _call_positions(runs: Sequence[PartRun]) -> dict[Call, int] | None:
    """A position for every call any part made, consistent with the order of the calls in every part (the parts'
    sequences merged); None when a part names a call twice or two parts make calls in opposite orders."""
    after: dict[Call, list[Call]] = {}
    for run in runs:
        if len(set(run.calls)) != len(run.calls):
            return None
        for call in run.calls:
            after.setdefault(call, [])
        for first, then in pairwise(run.calls):
            after[first].append(then)
    waiting = dict.fromkeys(after, 0)
    for nexts in after.values():
        for call in set(nexts):
            waiting[call] += 1
    ready = [call for call in after if waiting[call] == 0]
    order: list[Call] = []
    while ready:
        call = ready.pop(0)
        order.append(call)
        for then in dict.fromkeys(after[call]):
            waiting[then] -= 1
            if waiting[then] == 0:
                ready.append(then)
    if len(order) != len(after):
        return None
    return {call: number for number, call in enumerate(order)}


def _determined(hit: list[Call], runs: Sequence[PartRun], position: dict[Call, int]) -> bool:
    """Whether the calls that found something are in an order the parts fix (each one seen before the next in some
    chain of parts' calls), not one the merge only guessed."""
    after: dict[Call, set[Call]] = {}
    for run in runs:
        for first, then in pairwise(run.calls):
            after.setdefault(first, set()).add(then)
    ordered = sorted(set(hit), key=position.__getitem__)
    for first, then in pairwise(ordered):
        seen, todo = {first}, [first]
        while todo and then not in seen:
            for nxt in after.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        if then not in seen:
            return False
    return True


def merge_datasets(runs: Sequence[PartRun]) -> list[Issue] | None:
    """A dataset-split rule's findings, dataset after dataset (`runs` in dataset order); None if a run raised."""
    if any(run.failed for run in runs):
        return None
    return [issue for run in runs for _, issue in run.findings]


def whole_datasets(package: Package) -> list[str]:
    return [name for name, ds in package.datasets.items() if not subject_level(ds)]


def run_split(
    package: Package, rules: Sequence[Rule], parts: int, *, spec: object | None = None
) -> tuple[list[Issue], list[str]]:
    """`run_rules` on one machine through the parts, as `validate --engine spark` runs them: subject-split rules on
    `parts` subject parts, dataset-split rules dataset by dataset, the others on the whole package. Returns the
    findings (rule by rule, in the order given) and the ids of the rules that had to run whole."""
    standard = load_standard()
    slices = [subject_slice(package, part, parts) for part in range(parts)]
    whole = whole_datasets(package)
    issues: list[Issue] = []
    ran_whole: list[str] = []
    for rule in rules:
        merged: list[Issue] | None = None
        if rule.split == "subject":
            merged = merge_subject([run_part(s, rule, standard) for s in slices], whole)
        elif rule.split == "dataset":
            merged = merge_datasets([run_part(dataset_slice(package, n), rule, standard) for n in package.datasets])
        if merged is None:
            if rule.split != "package":
                ran_whole.append(rule.id)
            merged = run_rules(package, rules=[rule], standard=standard, spec=spec)
        issues += merged
    return issues, ran_whole


__all__ = [
    "PartRun",
    "dataset_slice",
    "merge_datasets",
    "merge_subject",
    "run_part",
    "run_split",
    "subject_part",
    "subject_slice",
    "whole_datasets",
]
