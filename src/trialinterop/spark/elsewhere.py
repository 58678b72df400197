"""The subjects' records stay on Spark's executors: every dataset with a record per subject or per subject's record
is built, conformed and encoded there by the single-machine functions, and the driver holds the facts of the whole
trial it needs (`sdtm.build.RecordsElsewhere`).

The mapped subjects (`SubjectPart`s) are kept persisted on the executors. The mapping pass sends the driver each
part without its records (`strip_records`: warnings, problems and coverage stay, for the assembly that accepts or
refuses the run) and, per partition, `SubjectFacts`: every subject's USUBJID (the ranges of subjects, in order), the
per-subject datasets the records make, the domains whose records carry sponsor ids (--SPID is a fact of the whole
trial) and the findings' facts (spark.findings).

When the package is written, one pass builds every per-subject dataset (DM, SE, SV, EX, AE, CM, MH, PR, DS, IE,
SUPP--: `sdtm.build.build_subject_dataset`) of each partition's subjects, under a context built from those subjects
(every reference date, element and visit date is per subject; the --SPID choice comes from the whole trial), cuts
the rows into the ranges of subjects (`spark.ranges.split_by_range`) and keeps the pieces persisted; with them come
the partition's TS counts and build notes. The driver learns each piece's columns and rows: a dataset's columns are
those some piece has (a Permissible variable a builder leaves out when no record fills it is left out of the whole
dataset only when no piece has it), in the specification's order. Each dataset is then conformed range by range
(`spark.ranges.conform_ranges`); when the ranges do not merge exactly, its pieces are joined here in subject order
and conformed whole, as on one machine.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.definition import StudyDefinition
from trialinterop.fhir_in.assemble import Assembly
from trialinterop.fhir_in.subjects import SubjectPart
from trialinterop.fhir_in.to_records import SubjectRecords
from trialinterop.issues import Issue
from trialinterop.sdtm.build import SUBJECT_DATASETS, build_subject_dataset, keyed_build_notes, subject_datasets
from trialinterop.sdtm.conform import InParts, conform_own
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.sdtm.domains.base import select
from trialinterop.sdtm.domains.ts import TrialCounts, trial_counts
from trialinterop.sdtm.reference_dates import latest_complete_dates, subject_usubjid
from trialinterop.source import models as m
from trialinterop.spark.findings import ExecutorFindings, Facts, findings_facts
from trialinterop.spark.ranges import ConformedRanges, conform_ranges, in_subject_order, split_by_range, subject_ranges
from trialinterop.spec import Spec, load_spec
from trialinterop.text_columns import with_nulls

SPID_DOMAINS = ("AE", "CM", "MH")
_FACTS = ""
"""The key of the pieces pass's facts entry (no dataset name)."""


@dataclass
class SubjectFacts:
    """What the driver needs to know of the subjects' records it does not hold (merged over the partitions)."""

    subjects: list[tuple[str, str]] = field(default_factory=list)
    """(subject id, USUBJID) of every subject."""
    datasets: set[str] = field(default_factory=set)
    """The per-subject datasets the records make (`sdtm.build.subject_datasets`)."""
    spid_domains: set[str] = field(default_factory=set)
    """The domains some of whose records have a sponsor id."""
    findings: Facts = field(default_factory=Facts)

    def merge(self, other: SubjectFacts) -> None:
        self.subjects.extend(other.subjects)
        self.datasets |= other.datasets
        self.spid_domains |= other.spid_domains
        self.findings.merge(other.findings)


def partition_records(
    parts: Iterable[SubjectPart], definition: StudyDefinition
) -> tuple[m.TrialRecords, list[m.Finding]]:
    """Some subjects' records without their findings, as `Assembly` sorts them, and their findings."""
    assembly = Assembly(definition)
    findings: list[m.Finding] = []
    for part in parts:
        findings.extend(part.records.findings)
        assembly.add(replace(part, records=replace(part.records, findings=[])))
    return assembly.records(), findings


def latest_contacts(findings: Sequence[m.Finding]) -> dict[str, str]:
    """Each subject's latest complete findings date: a last contact (RFPENDTC) the records without findings miss."""
    owners = [f.subject_id for f in findings]
    latest = latest_complete_dates(list(dict.fromkeys(owners)), owners, [f.datetime for f in findings])
    return {subject: day for subject, day in latest.items() if day is not None}


def strip_records(parts: Iterable[SubjectPart], definition: StudyDefinition) -> Iterator[tuple[str, Any]]:
    """Executor side of the mapping pass: ("part", each part without its records but the AEs' bare MedDRA codes,
    which a warning counts), then ("facts", the partition's `SubjectFacts`)."""
    held = []
    for part in parts:
        held.append(part)
        yield "part", replace(part, records=SubjectRecords(bare_meddra=part.records.bare_meddra))
    records, findings = partition_records(held, definition)
    spids: dict[str, tuple[Any, ...]] = {
        "AE": records.adverse_events,
        "CM": records.medications,
        "MH": records.medical_history,
    }
    yield (
        "facts",
        SubjectFacts(
            subjects=[(s.subject_id, subject_usubjid(definition, s)) for s in records.subjects],
            datasets=set(subject_datasets(records)),
            spid_domains={domain for domain, rows in spids.items() if any(r.sponsor_id for r in rows)},
            findings=findings_facts(findings),
        ),
    )


def build_subject_partition(
    parts: Iterable[SubjectPart],
    definition: StudyDefinition,
    spec: Spec,
    spid_domains: frozenset[str],
    names: Sequence[str],
    boundaries: Sequence[str],
) -> Iterator[tuple[tuple[str, int], Any]]:
    """Executor side of the per-subject datasets: ((dataset, range), the rows of one range of subjects) for each of
    `names` this partition's subjects make, then ((_FACTS, -1), (their TS counts, their keyed build notes))."""
    records, findings = partition_records(parts, definition)
    if not records.subjects:  # e.g. patients outside the study only
        return
    contacts = latest_contacts(findings)
    ctx = build_context(records, load_terminology(), spec=spec, contacts=contacts, spid_domains=spid_domains)
    ae = build_subject_dataset(records, ctx, "AE")
    for name in names:
        frame = build_subject_dataset(records, ctx, name, ae=ae)
        if len(frame):
            for number, piece in split_by_range(frame, boundaries):
                yield (name, number), piece
    yield (_FACTS, -1), (trial_counts(records, ctx), keyed_build_notes(records))


@dataclass(frozen=True)
class _Built:
    pieces: Any
    """RDD of ((dataset, range), rows), persisted."""
    columns: dict[str, tuple[str, ...]]
    """Dataset -> its columns (those of some piece, in the specification's order); a dataset with rows only."""
    rows: dict[str, int]
    counts: TrialCounts
    notes: list[Issue]


class ExecutorRecords:
    """`sdtm.build.RecordsElsewhere` for the subjects kept in `parts` (an RDD of `SubjectPart`, persisted)."""

    def __init__(self, parts: Any, facts: SubjectFacts, records: m.TrialRecords) -> None:
        self.facts = facts
        self.records = records  # the trial's definition, without records
        self.order = [usubjid for _, usubjid in sorted(facts.subjects)]  # the records' order: by subject id
        self.boundaries = subject_ranges(self.order)
        self.held: list[Any] = []  # the persisted RDDs (and broadcasts) kept until the package is written
        self.parts = by_subject_range(parts, records.definition, self.boundaries, self.held)
        self.findings = ExecutorFindings(self.parts, facts.findings, records, self.order, self.held)
        self._built: _Built | None = None

    def subject_datasets(self) -> list[str]:
        return [name for name in SUBJECT_DATASETS if name in self.facts.datasets]

    def findings_dataset(self, ctx: SdtmContext, domain: str) -> pd.DataFrame | InParts:
        return self.findings.build(ctx, domain)

    def trial_counts(self) -> TrialCounts:
        return self._build().counts

    def notes(self) -> list[Issue]:
        return self._build().notes

    def subject_dataset(self, ctx: SdtmContext, name: str) -> pd.DataFrame | SubjectsInParts:
        """Dataset `name` left in ranges on the executors, or built here (empty) when no subject has a record in it."""
        columns = self._build().columns.get(name)
        if columns is None:
            return build_subject_dataset(self.records, ctx, name)
        return SubjectsInParts(self, name, columns)

    def _build(self) -> _Built:
        """Every per-subject dataset built on the executors once, in pieces by range (persisted)."""
        if self._built is not None:
            return self._built
        from pyspark import StorageLevel

        definition = self.records.definition
        spec = load_spec(definition=definition)  # what api.convert_to_sdtm conforms and writes with
        names = self.subject_datasets()
        shared = self.parts.context.broadcast(
            (definition, spec, frozenset(self.facts.spid_domains), names, self.boundaries)
        )

        def build_here(parts: Iterator[SubjectPart]) -> Iterator[tuple[tuple[str, int], Any]]:
            yield from build_subject_partition(parts, *shared.value)

        pieces = self.parts.mapPartitions(build_here).persist(StorageLevel.MEMORY_AND_DISK)
        self.held.append(pieces)
        try:
            described = pieces.map(_describe).collect()
        finally:
            shared.unpersist()
        counts, keyed, present, rows = TrialCounts(), [], dict[str, set[str]](), dict[str, int]()
        for (name, _), about in described:
            if name == _FACTS:
                counts = counts.merge(about[0])
                keyed.extend(about[1])
            else:
                present.setdefault(name, set()).update(about[0])
                rows[name] = rows.get(name, 0) + about[1]
        columns = {name: _in_spec_order(spec, name, found) for name, found in present.items()}
        notes = [issue for _, issue in sorted(keyed, key=lambda pair: pair[0])]
        self._built = _Built(pieces, columns, rows, counts, notes)
        return self._built

    def close(self) -> None:
        for rdd in self.held:
            rdd.unpersist()
        self.held.clear()


def by_subject_range(parts: Any, definition: StudyDefinition, boundaries: Sequence[str], held: list[Any]) -> Any:
    """`parts` moved (one shuffle) so that each partition holds the subjects of consecutive ranges, in USUBJID order,
    persisted (it and its broadcast appended to `held`). As mapped, every partition holds subjects of every range, so
    cutting its datasets by range made partitions x ranges pieces: a number that grows with the square of the
    subjects (100,000 subjects: about 140 x 400 pieces a dataset). Now a partition's rows fall in a few ranges."""
    from pyspark import StorageLevel

    ranges = len(boundaries) + 1
    step = -(-ranges // max(1, parts.getNumPartitions()))
    shared = parts.context.broadcast((definition, boundaries))
    held.append(shared)

    def key(part: SubjectPart) -> tuple[int, str]:
        definition, boundaries = shared.value
        subjects = part.records.subjects
        usubjid = subject_usubjid(definition, subjects[0]) if subjects else ""
        return bisect_right(boundaries, usubjid), usubjid

    def in_order(pairs: Iterator[tuple[tuple[int, str], SubjectPart]]) -> Iterator[SubjectPart]:
        for _, part in sorted(pairs, key=lambda pair: pair[0]):
            yield part

    moved = parts.keyBy(key).partitionBy(-(-ranges // step), lambda found: found[0] // step)
    moved = moved.mapPartitions(in_order).persist(StorageLevel.MEMORY_AND_DISK)
    held.append(moved)
    return moved


def _describe(pair: tuple[tuple[str, int], Any]) -> tuple[tuple[str, int], Any]:
    """A piece as its columns and rows; the facts entry as it is."""
    key, value = pair
    return (key, value) if key[0] == _FACTS else (key, (tuple(value.columns), len(value)))


def _in_spec_order(spec: Spec, name: str, found: set[str]) -> tuple[str, ...]:
    """`found` in the order of the dataset's variables (a column no variable names after them, by name)."""
    ordered = [v.name for v in spec.variables(name) if v.name in found]
    return (*ordered, *sorted(found - set(ordered)))


class SubjectsInParts:
    """A per-subject dataset in pieces by range on the executors (`sdtm.conform.InParts`), conformed there range by
    range; joined here in subject order and conformed whole when the ranges do not merge exactly."""

    def __init__(self, owner: ExecutorRecords, name: str, columns: tuple[str, ...]) -> None:
        self.owner, self.name, self.columns = owner, name, columns

    def conform(self, spec: Spec, *, drop_empty_perm: bool) -> tuple[pd.DataFrame | ConformedRanges, list[Issue]]:
        owner, name, columns = self.owner, self.name, self.columns
        pieces = owner._build().pieces.filter(lambda pair: pair[0][0] == name).map(lambda pair: (pair[0][1], pair[1]))

        def join(found: list[pd.DataFrame]) -> pd.DataFrame:
            return join_pieces(found, columns)

        rows, ranges = owner._build().rows[name], len(owner.boundaries) + 1
        conformed, merged = conform_ranges(pieces, ranges, join, name, spec, rows=rows, drop_empty_perm=drop_empty_perm)
        if merged is None:  # the ranges' issues or order do not make the whole dataset's: conform it whole here
            frame = in_subject_order(join([piece for _, piece in pieces.collect()]), owner.order)
            return conform_own(frame, name, spec, drop_empty_perm=drop_empty_perm)
        owner.held.append(conformed)
        return ConformedRanges(conformed, merged, name), list(merged.issues)


def join_pieces(pieces: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """Pieces of a dataset (each some subjects' rows, as built) as one frame with the dataset's `columns`, in order of
    their first USUBJID (a subject's rows are in one piece, in the builder's order; conform sorts by the keys)."""
    ordered = sorted(pieces, key=lambda piece: str(with_nulls(piece["USUBJID"].iloc[:1])[0]))
    return pd.concat([select(piece, columns) for piece in ordered], ignore_index=True)
