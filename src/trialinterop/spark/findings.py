"""The findings records stay on Spark's executors: the driver gets the facts of the whole trial it needs about them,
and each findings dataset is built, conformed and encoded there by the single-machine functions.

The findings are most of a trial's records (QS alone: 84 records a subject, 90% of the rows), so leaving them on
the executors is most of what the driver would otherwise hold. What the driver needs of them, reduced per partition
(`Facts`): the (instrument, test code) pairs (observed tests join the definition: `with_observed_tests`), the
record fields each instrument's findings fill (a Permissible variable the whole domain leaves unfilled is left out:
`unused_in_domain`), the latest complete findings date of each subject (a last contact: RFPENDTC) and the number of
findings per instrument. Then, for each findings domain, every partition assembles its subjects' records as
`fhir_in.assemble.Assembly` does on one machine, builds its context (every reference date is per subject) and
builds its findings `CHUNK_SUBJECTS` subjects at a time with `sdtm.domains.findings.build_findings_part`; the rows
are cut into ranges of `RANGE_SUBJECTS` subjects by USUBJID and shuffled so that a task holds one range, which it
conforms (`sdtm.conform_parts.conform_part`) and keeps persisted; the driver merges the ranges' facts
(`merge_facts`) and the writers take the ranges one at a time, encoded on the executors (`ConformedFindings`): the
dataset never exists whole on the driver. When the facts do not merge exactly (an issue in a range, ranges out of
key order), the driver joins the built parts in subject order (`ExecutorFindings.build_whole`, `in_subject_order`)
and conforms the whole dataset as one machine does.

Nothing is written to disk for this but Spark's own spill: the conformed ranges stay persisted (MEMORY_AND_DISK) on
the executors until the package is written (`ExecutorFindings.close`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.assemble import Assembly
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.issues import Issue
from trialinterop.sdtm.conform import conform_own
from trialinterop.sdtm.conform_parts import Merged, PartFacts, concat_parts, conform_part, merge_facts
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
from trialinterop.spec import Spec, VariableSpec
from trialinterop.text_columns import text_codes, with_nulls
from trialinterop.writers.dataset_json import dataset_json_part, write_dataset_json_parts
from trialinterop.writers.xpt import XptPart, encode_xpt_part, write_xpt_parts
from trialinterop.writers.xpt_member import XptMember


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


RANGE_SUBJECTS = 250
"""Subjects per part of a findings dataset: a part (QS: 84 rows a subject) is what the driver holds of it at once,
as XPT observations or Dataset-JSON text (QS: 21,000 rows, a few MB)."""


def subject_ranges(usubjids: Iterable[str], size: int | None = None) -> list[str]:
    """The first USUBJID of every range of `size` (default RANGE_SUBJECTS) subjects but the first, in sorted order:
    subject u is in range `bisect_right(boundaries, u)`."""
    step = size or RANGE_SUBJECTS
    return sorted(usubjids)[step::step]


def split_by_range(frame: pd.DataFrame, boundaries: Sequence[str]) -> Iterator[tuple[int, pd.DataFrame]]:
    """(range, the rows of `frame` whose USUBJID is in that range, in their order) for each range with rows; a
    missing USUBJID goes to the last range (where the order check of `merge_facts` then refuses it)."""
    codes, uniques = text_codes(frame["USUBJID"])
    of_value = np.array([bisect_right(boundaries, u) for u in uniques.tolist()] + [len(boundaries)], dtype=np.intp)
    ranges = of_value[codes]  # code -1 (missing) picks the last entry
    for number in np.unique(ranges).tolist():
        yield number, frame.take(np.flatnonzero(ranges == number)).reset_index(drop=True)


def join_range(pieces: Iterable[pd.DataFrame], variables: Sequence[VariableSpec], unused: set[str]) -> pd.DataFrame:
    """The built rows of one range of subjects: its pieces (each some subjects' rows, as built) in order of their
    first USUBJID. A subject's rows are in one piece, in the builder's order; conform then sorts by the keys."""
    ordered = sorted(pieces, key=lambda piece: str(with_nulls(piece["USUBJID"].iloc[:1])[0]))
    return join_findings_parts(ordered, variables, unused)


class ExecutorFindings:
    """`sdtm.build.FindingsElsewhere` for findings kept in `parts` (an RDD of `SubjectPart`, persisted)."""

    def __init__(self, parts: Any, facts: Facts, records: m.TrialRecords) -> None:
        self.parts = parts
        self.facts = facts
        self.records = records  # the trial's records without findings
        self.held: list[Any] = []  # the conformed parts (RDDs) kept until the package is written

    def latest_dates(self) -> Mapping[str, str]:
        return self.facts.latest

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
        return in_subject_order(joined, ctx.subjects)  # the context's subjects: in the records' order

    def close(self) -> None:
        for rdd in self.held:
            rdd.unpersist()
        self.held.clear()


class FindingsInParts:
    """A findings dataset built on the executors in ranges of subjects (`sdtm.conform.InParts`): each range is
    conformed there (`sdtm.conform_parts.conform_part`), kept persisted, and its facts merged here; the writers then
    take the ranges one at a time (`ConformedFindings`). When the parts do not merge exactly (`merge_facts`), the
    dataset is joined here and conformed whole, as before."""

    def __init__(self, owner: ExecutorFindings, ctx: SdtmContext, domain: str, unused: set[str]) -> None:
        self.owner, self.ctx, self.domain, self.unused = owner, ctx, domain, unused

    def conform(self, spec: Spec, *, drop_empty_perm: bool) -> tuple[pd.DataFrame | ConformedFindings, list[Issue]]:
        from pyspark import StorageLevel

        domain, variables, unused = self.domain, self.ctx.spec.variables(self.domain), self.unused
        boundaries = subject_ranges(self.ctx.subjects)
        rdd, built_shared = self.owner.built_parts(self.ctx, domain, unused)
        shared = rdd.context.broadcast((boundaries, variables, unused, spec))

        def split_here(frames: Iterator[pd.DataFrame]) -> Iterator[tuple[int, pd.DataFrame]]:
            boundaries = shared.value[0]
            for frame in frames:
                yield from split_by_range(frame, boundaries)

        def conform_here(pairs: Iterator[tuple[int, pd.DataFrame]]) -> Iterator[tuple[pd.DataFrame, PartFacts]]:
            _, variables, unused, spec = shared.value
            pieces = [piece for _, piece in pairs]
            if pieces:
                yield conform_part(join_range(pieces, variables, unused), domain, spec)

        ranges = len(boundaries) + 1
        conformed = (
            rdd.mapPartitions(split_here)
            .partitionBy(ranges, lambda number: number)
            .mapPartitions(conform_here)
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        try:
            facts = conformed.map(lambda pair: pair[1]).collect()  # in range order
        finally:
            shared.unpersist()
            built_shared.unpersist()
        merged = merge_facts(facts, domain, spec, drop_empty_perm=drop_empty_perm)
        if merged is None:  # the parts' issues or order do not make the whole dataset's: conform it whole here
            conformed.unpersist()
            frame = self.owner.build_whole(self.ctx, domain, unused)
            return conform_own(frame, domain, spec, drop_empty_perm=drop_empty_perm)
        self.owner.held.append(conformed)
        return ConformedFindings(conformed, merged, domain), list(merged.issues)


class ConformedFindings:
    """A conformed findings dataset in ranges of subjects on the executors (`writers.package.DatasetParts`): each
    range is encoded there and the driver writes the ranges one after the other."""

    def __init__(self, conformed: Any, merged: Merged, domain: str) -> None:
        self.conformed, self.merged, self.domain = conformed, merged, domain
        self.sample = merged.sample

    def __len__(self) -> int:
        return self.merged.rows

    def write_xpt(self, out_dir: Path, member: XptMember) -> Path | None:
        columns, widths = list(self.merged.columns), self.merged.lengths

        def encode(pair: tuple[pd.DataFrame, PartFacts]) -> XptPart:
            return encode_xpt_part(pair[0][columns], member, widths)

        return write_xpt_parts(out_dir, member, self.conformed.map(encode).toLocalIterator())

    def write_json(self, out_dir: Path, spec: Spec, creation_datetime: str | None) -> Path | None:
        columns, domain = list(self.merged.columns), self.domain

        def encode(pair: tuple[pd.DataFrame, PartFacts]) -> tuple[str, list[list[Any]]]:
            return dataset_json_part(pair[0][columns], domain, spec)

        return write_dataset_json_parts(
            out_dir,
            domain,
            spec,
            names=columns,
            lengths=self.merged.lengths,
            records=self.merged.rows,
            parts=self.conformed.map(encode).toLocalIterator(),
            creation_datetime=creation_datetime,
        )

    def whole(self) -> pd.DataFrame:
        columns = list(self.merged.columns)
        return concat_parts(self.conformed.map(lambda pair: pair[0][columns]).collect())
