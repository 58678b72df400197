"""The findings datasets (QS, RE, VS, ...) built, conformed and encoded on Spark's executors by the single-machine
functions, in ranges of subjects (spark.ranges).

The findings are most of a trial's records (QS alone: 84 records a subject, 90% of the rows). What the driver needs
of them, reduced per partition (`Facts`): the (instrument, test code) pairs (observed tests join the definition:
`with_observed_tests`), the record fields each instrument's findings fill (a Permissible variable the whole domain
leaves unfilled is left out: `unused_in_domain`) and the number of findings per instrument. For each findings
domain, every partition assembles its subjects' records as `fhir_in.assemble.Assembly` does on one machine, builds
its context (every reference date is per subject) and builds its findings `CHUNK_SUBJECTS` subjects at a time with
`sdtm.domains.findings.build_findings_part`; the rows are cut into ranges of subjects and conformed there
(`spark.ranges.conform_ranges`). When the ranges' facts do not merge exactly, the driver joins the built parts in
subject order (`ExecutorFindings.build_whole`) and conforms the whole dataset as one machine does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.assemble import Assembly
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.issues import Issue
from trialinterop.sdtm.conform import conform_own
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.findings import (
    build_findings,
    build_findings_part,
    findings_by_subjects,
    join_findings_parts,
    recorded_fields,
    unused_in_domain,
)
from trialinterop.source import models as m
from trialinterop.spark.ranges import ConformedRanges, conform_ranges, in_subject_order, split_by_range, subject_ranges
from trialinterop.spec import Spec, VariableSpec
from trialinterop.text_columns import with_nulls


@dataclass
class Facts:
    """What the driver needs to know about findings it does not hold (merged over the partitions)."""

    tests: set[tuple[str, str]] = field(default_factory=set)
    recorded: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Instrument code -> the `_RECORDED` fields its findings fill."""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Instrument code -> findings."""

    def merge(self, other: Facts) -> None:
        self.tests |= other.tests
        for code, names in other.recorded.items():
            self.recorded[code] |= names
        for code, count in other.counts.items():
            self.counts[code] += count


def findings_facts(findings: Iterable[m.Finding]) -> Facts:
    """The `Facts` of some subjects' findings."""
    facts = Facts()
    by_instrument: dict[str, list[m.Finding]] = defaultdict(list)
    for finding in findings:
        by_instrument[finding.instrument].append(finding)
        facts.tests.add((finding.instrument, finding.testcd))
    for code, found in by_instrument.items():
        facts.recorded[code] = set(recorded_fields(found))
        facts.counts[code] = len(found)
    return facts


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


def join_range(pieces: Iterable[pd.DataFrame], variables: Sequence[VariableSpec], unused: set[str]) -> pd.DataFrame:
    """The built rows of one range of subjects: its pieces (each some subjects' rows, as built) in order of their
    first USUBJID. A subject's rows are in one piece, in the builder's order; conform then sorts by the keys."""
    ordered = sorted(pieces, key=lambda piece: str(with_nulls(piece["USUBJID"].iloc[:1])[0]))
    return join_findings_parts(ordered, variables, unused)


class ExecutorFindings:
    """The findings datasets of the subjects kept in `parts` (an RDD of `SubjectPart`, persisted), built there."""

    def __init__(self, parts: Any, facts: Facts, records: m.TrialRecords, subjects: Sequence[str], held: list[Any]):
        self.parts = parts
        self.facts = facts
        self.records = records  # the trial's definition, without records
        self.subjects = subjects  # every USUBJID, in the records' order
        self.held = held  # the conformed ranges (RDDs) kept until the package is written

    def build(self, ctx: SdtmContext, domain: str) -> pd.DataFrame | FindingsInParts:
        """The findings dataset `domain`, left in parts on the executors (`FindingsInParts`, conformed there), or
        built here when the trial has no findings in it."""
        definition = ctx.require_definition()
        instruments = definition.instruments_in(domain)
        codes = [i.code for i in instruments]
        if not any(self.facts.counts.get(code) for code in codes):  # as on one machine: no findings in the domain
            return build_findings(self.records, ctx, domain)
        recorded = set().union(*(self.facts.recorded.get(code, set()) for code in codes))
        return FindingsInParts(self, ctx, domain, unused_in_domain(domain, instruments, recorded))

    def built_parts(self, ctx: SdtmContext, domain: str, unused: set[str]) -> Any:
        """An RDD of the built rows of `domain`, some subjects at a time, by the single-machine builder."""
        shared = self.parts.context.broadcast((ctx.require_definition(), ctx.spec, domain, unused))

        def build_here(parts: Iterator[SubjectPart]) -> Iterator[pd.DataFrame]:
            definition, spec, domain, unused = shared.value
            yield from build_partition(parts, definition, spec, domain, unused)

        return self.parts.mapPartitions(build_here), shared

    def build_whole(self, ctx: SdtmContext, domain: str, unused: set[str]) -> pd.DataFrame:
        """The findings dataset `domain` joined here from the executors' parts, in subject order."""
        rdd, shared = self.built_parts(ctx, domain, unused)
        try:
            built = rdd.collect()
        finally:
            shared.unpersist()
        joined = join_findings_parts(built, ctx.spec.variables(domain), unused)
        del built
        return in_subject_order(joined, self.subjects)


class FindingsInParts:
    """A findings dataset built on the executors in ranges of subjects (`sdtm.conform.InParts`): each range is
    conformed there and kept persisted, its facts merged here (`spark.ranges.conform_ranges`); the writers then take
    the ranges one at a time (`ConformedRanges`). When the ranges do not merge exactly, the dataset is joined here
    and conformed whole."""

    def __init__(self, owner: ExecutorFindings, ctx: SdtmContext, domain: str, unused: set[str]) -> None:
        self.owner, self.ctx, self.domain, self.unused = owner, ctx, domain, unused

    def conform(self, spec: Spec, *, drop_empty_perm: bool) -> tuple[pd.DataFrame | ConformedRanges, list[Issue]]:
        domain, variables, unused = self.domain, self.ctx.spec.variables(self.domain), self.unused
        boundaries = subject_ranges(self.owner.subjects)
        rdd, built_shared = self.owner.built_parts(self.ctx, domain, unused)
        shared = rdd.context.broadcast(boundaries)

        def split_here(frames: Iterator[pd.DataFrame]) -> Iterator[tuple[int, pd.DataFrame]]:
            for frame in frames:
                yield from split_by_range(frame, shared.value)

        def join(pieces: list[pd.DataFrame]) -> pd.DataFrame:
            return join_range(pieces, variables, unused)

        codes = [i.code for i in self.ctx.require_definition().instruments_in(domain)]
        rows = sum(self.owner.facts.counts.get(code, 0) for code in codes)  # the collected ones: totals are more
        try:
            conformed, merged = conform_ranges(
                rdd.mapPartitions(split_here),
                len(boundaries) + 1,
                join,
                domain,
                spec,
                rows=rows,
                drop_empty_perm=drop_empty_perm,
            )
        finally:
            shared.unpersist()
            built_shared.unpersist()
        if merged is None:  # the ranges' issues or order do not make the whole dataset's: conform it whole here
            frame = self.owner.build_whole(self.ctx, domain, unused)
            return conform_own(frame, domain, spec, drop_empty_perm=drop_empty_perm)
        self.owner.held.append(conformed)
        return ConformedRanges(conformed, merged, domain), list(merged.issues)
