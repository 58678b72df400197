"""The findings records stay on Spark's executors: the driver gets the facts of the whole trial it needs about them,
and each findings dataset built partition by partition by the single-machine builder.

The findings are most of a trial's records (QS alone: 84 records a subject, 90% of the rows), so leaving them on
the executors is most of what the driver would otherwise hold. What the driver needs of them, reduced per partition
(`Facts`): the (instrument, test code) pairs (observed tests join the definition: `with_observed_tests`), the
record fields each instrument's findings fill (a Permissible variable the whole domain leaves unfilled is left out:
`unused_in_domain`), the latest complete findings date of each subject (a last contact: RFPENDTC) and the number of
findings per instrument. Then, for each findings domain, every partition assembles its subjects' records as
`fhir_in.assemble.Assembly` does on one machine, builds its context (every reference date is per subject) and
builds its findings `CHUNK_SUBJECTS` subjects at a time with `sdtm.domains.findings.build_findings_part`; the
driver joins the parts and puts the rows in subject order (`in_subject_order`), so the dataset is the one the
single-machine `build_findings_in_parts` gives.

Nothing is written to disk for this: the parts come back to the driver as compact frames (text columns
categorical), which the driver holds only for the domain being built.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.assemble import Assembly
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.findings import (
    build_findings,
    build_findings_part,
    findings_by_subjects,
    join_findings_parts,
    recorded_fields,
    unused_in_domain,
)
from trialinterop.sdtm.reference_dates import latest_complete_dates
from trialinterop.source import models as m
from trialinterop.spec import Spec


@dataclass
class Facts:
    """What the driver needs to know about findings it does not hold (merged over the partitions)."""

    tests: set[tuple[str, str]] = field(default_factory=set)
    recorded: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Instrument code -> the `_RECORDED` fields its findings fill."""
    latest: dict[str, str] = field(default_factory=dict)
    """Subject id -> the latest complete date of its findings."""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Instrument code -> findings."""

    def merge(self, other: Facts) -> None:
        self.tests |= other.tests
        for code, names in other.recorded.items():
            self.recorded[code] |= names
        for code, count in other.counts.items():
            self.counts[code] += count
        self.latest.update(other.latest)  # a subject is in one partition only


def strip_findings(parts: Iterable[SubjectPart]) -> Iterator[tuple[str, Any]]:
    """Executor side of the mapping pass: ("part", each part without its findings), then ("facts", the partition's
    `Facts`)."""
    facts = Facts()
    by_instrument: dict[str, list[m.Finding]] = defaultdict(list)
    owners: list[str] = []
    texts: list[str | None] = []
    for part in parts:
        for finding in part.records.findings:
            by_instrument[finding.instrument].append(finding)
            facts.tests.add((finding.instrument, finding.testcd))
            owners.append(finding.subject_id)
            texts.append(finding.datetime)
        yield "part", replace(part, records=replace(part.records, findings=[]))
    for code, found in by_instrument.items():
        facts.recorded[code] = set(recorded_fields(found))
        facts.counts[code] = len(found)
    latest = latest_complete_dates(list(dict.fromkeys(owners)), owners, texts)
    facts.latest = {subject: day for subject, day in latest.items() if day is not None}
    yield "facts", facts


def build_partition(
    parts: Iterable[SubjectPart], definition: StudyDefinition, spec: Spec, domain: str, unused: set[str]
) -> Iterator[pd.DataFrame]:
    """Executor side of a findings dataset: this partition's subjects' rows of `domain`, a few hundred subjects at a
    time, by the single-machine builder under the final definition."""
    assembly = Assembly(definition)
    for part in parts:
        assembly.add(part)
    records = assembly.records()
    chunks = [chunk for chunk in findings_by_subjects(records, domain) if chunk]
    if not chunks:
        return
    ctx = build_context(records, load_terminology(), spec=spec)
    variables = spec.variables(domain)
    for chunk in chunks:
        part_records = replace(records, findings=tuple(chunk))
        yield build_findings_part(part_records, ctx, domain, variables=variables, unused=unused)


def in_subject_order(frame: pd.DataFrame, usubjids: Iterable[str]) -> pd.DataFrame:
    """`frame`'s rows in the order of `usubjids` (stable: each subject's rows keep their order), and each text
    column's categories in order of first appearance, as the single-machine build leaves them."""
    subjects = frame["USUBJID"]
    rank = {usubjid: n for n, usubjid in enumerate(usubjids)}
    if isinstance(subjects.dtype, pd.CategoricalDtype):
        ranks = np.array([rank[u] for u in subjects.cat.categories], dtype=np.int64)[subjects.cat.codes.to_numpy()]
    else:
        ranks = np.array([rank[u] for u in subjects], dtype=np.int64)
    order = np.argsort(ranks, kind="stable")
    ordered = frame.take(order).reset_index(drop=True)
    for name in ordered.columns:
        column = ordered[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            present = codes[codes >= 0]
            _, first = np.unique(present, return_index=True)
            seen = np.unique(present)[np.argsort(first, kind="stable")]
            ordered[name] = column.cat.reorder_categories(column.cat.categories[seen])
    return ordered


class ExecutorFindings:
    """`sdtm.build.FindingsElsewhere` for findings kept in `parts` (an RDD of `SubjectPart`, persisted)."""

    def __init__(self, parts: Any, facts: Facts, records: m.TrialRecords) -> None:
        self.parts = parts
        self.facts = facts
        self.records = records  # the trial's records without findings

    def latest_dates(self) -> Mapping[str, str]:
        return self.facts.latest

    def build(self, ctx: SdtmContext, domain: str) -> pd.DataFrame:
        definition = ctx.require_definition()
        instruments = definition.instruments_in(domain)
        codes = [i.code for i in instruments]
        if not any(self.facts.counts.get(code) for code in codes):  # as on one machine: no findings in the domain
            return build_findings(self.records, ctx, domain)
        recorded = set().union(*(self.facts.recorded.get(code, set()) for code in codes))
        unused = unused_in_domain(domain, instruments, recorded)
        shared = self.parts.context.broadcast((definition, ctx.spec, domain, unused))

        def build_here(parts: Iterator[SubjectPart]) -> Iterator[pd.DataFrame]:
            definition, spec, domain, unused = shared.value
            yield from build_partition(parts, definition, spec, domain, unused)

        try:
            built = self.parts.mapPartitions(build_here).collect()
        finally:
            shared.unpersist()
        joined = join_findings_parts(built, ctx.spec.variables(domain), unused)
        del built
        return in_subject_order(joined, ctx.subjects)  # the context's subjects: in the records' order
