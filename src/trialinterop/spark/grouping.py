"""Resources keyed and grouped by subject in Spark, exactly as `fhir_in.groups.group_input` does on one machine.

The keys come from the same functions (`subject_reference`, `reference_key`, `patient_aliases`); what Spark adds is
where the work happens:

- one pass over the parsed partitions returns a small `Summary` per partition (first parse error, first resource of
  each FHIR release, counts of skipped types, the shared resources and the orphans: a trial has few of these);
- a shuffle finds duplicate `Type/id` keys (the second occurrence in input order is the error, as on one machine);
- references by alias (a Patient's identifier) are resolved by a join with the Patients' aliases;
- `groupByKey` on the subject key gives each group, its resources in the order the single-machine spill gives them
  (resources naming the Patient directly in input order, then those naming it by an alias), and an order key
  (bucket, first appearance) equal to the single-machine order of the groups.

The driver keeps only the `Summary` rows and the resulting `GroupedInput` fields (shared resources, orphans, counts);
the groups stay in the executors (`SparkGrouped.rdd`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialinterop.errors import InputError
from trialinterop.fhir_in.groups import (
    BUCKET_BYTES,
    SUBJECT_ELEMENTS,
    GroupedInput,
    SubjectGroup,
    patient_aliases,
    reference_key,
    subject_reference,
)
from trialinterop.fhir_in.load import READ_TYPES, Located, _release_of, fail
from trialinterop.fhir_in.version import VersionDetector
from trialinterop.spark import ndjson
from trialinterop.spark.ndjson import Error, Position

Placed = tuple[int, Position]
"""(0: names its Patient directly or is the Patient, 1: by an alias; position): the single-machine placing order."""
GROUP_BYTES = 64 * 1024 * 1024
"""About this many input bytes per partition (at least the cluster's default parallelism)."""
OrderKey = tuple[int, Placed]
"""(bucket of the subject key, first placing of the group): the single-machine order of the groups."""


@dataclass
class Summary:
    """What one partition tells the driver (all of it small)."""

    total: int = 0
    error: Error | None = None
    telling: dict[str, tuple[Position, Located]] = field(default_factory=dict)
    """release -> its first resource in this partition."""
    skipped: dict[str, tuple[Position, int]] = field(default_factory=dict)
    shared: list[tuple[Position, Located]] = field(default_factory=list)
    orphans: list[tuple[Position, Located]] = field(default_factory=list)
    by_alias: int = 0
    """Resources naming their Patient by an alias (fullUrl, identifier): only then is the alias join needed."""

    def merge(self, other: Summary) -> Summary:
        self.total += other.total
        self.by_alias += other.by_alias
        if other.error and (self.error is None or other.error.position < self.error.position):
            self.error = other.error
        for release, found in other.telling.items():
            if release not in self.telling or found[0] < self.telling[release][0]:
                self.telling[release] = found
        for kind, (position, count) in other.skipped.items():
            first, before = self.skipped.get(kind, (position, 0))
            self.skipped[kind] = (min(first, position), before + count)
        self.shared += other.shared
        self.orphans += other.orphans
        return self


def summarise(rows: Iterator[tuple[Position, Located | Error]]) -> Iterator[Summary]:
    summary = Summary()
    for position, item in rows:
        if isinstance(item, Error):
            if summary.error is None or position < summary.error.position:
                summary.error = item
            continue
        summary.total += 1
        shown = _release_of(item)
        if shown is not None and (shown[0] not in summary.telling or position < summary.telling[shown[0]][0]):
            summary.telling[shown[0]] = (position, item)
        kind = item.type
        if kind not in READ_TYPES:
            first, count = summary.skipped.get(kind, (position, 0))
            summary.skipped[kind] = (min(first, position), count + 1)
        elif kind != "Patient":
            reference = subject_reference(item.resource)
            if reference is None:
                (summary.orphans if kind in SUBJECT_ELEMENTS else summary.shared).append((position, item))
            else:
                subject = reference_key(reference)
                if subject is None:
                    summary.orphans.append((position, item))
                elif not subject.startswith("Patient/"):
                    summary.by_alias += 1
    yield summary


def id_rows(row: tuple[Position, Located | Error]) -> Iterator[tuple[str, tuple[Position, str, str]]]:
    """(`Type/id`, (position, `file:line` as the duplicate message names the first, where))."""
    position, item = row
    if isinstance(item, Located) and item.type in READ_TYPES and item.resource.get("id") is not None:
        place = f"{item.origin.file}:{item.origin.row}"
        yield f"{item.type}/{item.resource['id']}", (position, place, item.where)


def duplicate(pair: tuple[str, Any]) -> Iterator[tuple[Position, Error]]:
    """The second occurrence of a `Type/id` key, as the error the single-machine reader raises there."""
    key, seen = pair
    if len(seen) < 2:
        return
    (_, first_place, _), (position, _, where) = sorted(seen)[:2]
    error = fail(f"duplicate resource {key} (also at {first_place})", where=where, element="id")
    yield position, Error.of(position, error)


def alias_rows(row: tuple[Position, Located | Error]) -> Iterator[tuple[str, tuple[Position, str]]]:
    position, item = row
    if isinstance(item, Located) and item.type == "Patient":
        keys = patient_aliases(item) or [item.where]
        for alias in keys[1:]:
            yield alias, (position, keys[0])


Member = tuple[str, tuple[int, Position, Located]]


def member_rows(row: tuple[Position, Located | Error]) -> Iterator[Member]:
    """(subject key, (1 when the key is an alias else 0, position, resource)) of each resource a group holds."""
    position, item = row
    if not isinstance(item, Located) or item.type not in READ_TYPES:
        return
    if item.type == "Patient":
        yield (patient_aliases(item) or [item.where])[0], (0, position, item)
        return
    reference = subject_reference(item.resource)
    subject = reference_key(reference) if reference is not None else None
    if subject is not None:
        yield subject, (0 if subject.startswith("Patient/") else 1, position, item)


def resolve_alias(pair: tuple[str, tuple[tuple[int, Position, Located], Any]]) -> Member:
    """A resource naming its Patient by an alias goes to that Patient's group (else stays under the alias)."""
    key, (member, patient) = pair
    return (patient[1] if patient else key), member


def bucket_range(buckets: int, slices: int) -> Any:
    """A partitioner sending each subject key to the partition of its bucket's range: partitions in order hold the
    buckets in order, so groups sorted within each partition are in the single-machine order overall."""

    def partition(key: str) -> int:
        return (zlib.crc32(key.encode()) % buckets) * slices // buckets

    return partition


def sorted_groups(buckets: int) -> Any:
    """A partition's groups as (order key, SubjectGroup), sorted by the order key."""

    def build(pairs: Iterator[tuple[str, Any]]) -> Iterator[tuple[OrderKey, SubjectGroup]]:
        found = []
        for key, members in pairs:
            ordered = sorted(members, key=lambda m: (m[0], m[1]))
            order = (zlib.crc32(key.encode()) % buckets, (ordered[0][0], ordered[0][1]))
            found.append((order, SubjectGroup(key, [m[2] for m in ordered])))
        found.sort(key=lambda pair: pair[0])
        return iter(found)

    return build


@dataclass
class SparkGrouped(GroupedInput):
    """The GroupedInput of the single-machine path, its groups left in Spark: `rdd` holds (order key, group)."""

    rdd: Any = None
    _parsed: Any = None

    def close(self) -> None:
        if self._parsed is not None:
            self._parsed.unpersist()

    def groups(self) -> Iterator[SubjectGroup]:
        """Every group, in the single-machine order, streamed to the driver one partition at a time (only a
        definition rebuilt from the input reads them here; the mapping itself runs in the executors)."""
        for _, group in self.rdd.toLocalIterator():
            yield group


def group_in_spark(
    session: Any,
    source: Path,
    *,
    version: str = "auto",
    slices: int | None = None,
    chunk_bytes: int = ndjson.CHUNK_BYTES,
) -> SparkGrouped:
    """Read the NDJSON folder `source` in Spark and group it by subject (see the module docstring); raises the
    InputError the single-machine reader would raise first. `slices`: partitions of the groups (default: one per
    GROUP_BYTES of input, at least the default parallelism); `chunk_bytes`: the byte ranges files are cut into."""
    from pyspark import StorageLevel

    context = session.sparkContext
    detector = VersionDetector(version)
    files = ndjson.ndjson_files(source)
    if not files:
        raise fail("folder holds no *.ndjson files (expected a FHIR NDJSON export)", where=str(source))
    found = ndjson.chunks(files, chunk_bytes)
    size = sum(p.stat().st_size for p in files)
    count = max(1, min(len(found), max(context.defaultParallelism, size // GROUP_BYTES + 1)))
    starts = context.parallelize(found, count).map(ndjson.count_starts).collect() if found else []
    numbered = ndjson.numbered(found, starts)
    parsed = context.parallelize(numbered, count).flatMap(ndjson.read_chunk)
    parsed.persist(StorageLevel.MEMORY_AND_DISK)
    shuffle = context.defaultParallelism
    summary = Summary()
    for part in parsed.mapPartitions(summarise).collect():
        summary.merge(part)
    problems: list[tuple[Position, InputError]] = []
    if summary.error is not None:
        problems.append((summary.error.position, summary.error.error()))
    for position, item in sorted(summary.telling.values(), key=lambda t: t[0]):
        try:
            detector.see(item)
        except InputError as exc:
            problems.append((position, exc))
    duplicates = parsed.flatMap(id_rows).groupByKey(shuffle).flatMap(duplicate).takeOrdered(1, key=lambda t: t[0])
    problems += [(position, error.error()) for position, error in duplicates]
    if problems:
        parsed.unpersist()
        raise min(problems, key=lambda t: t[0])[1]
    if summary.total == 0:
        parsed.unpersist()
        raise fail("no FHIR resources found", where=str(source))
    members = parsed.flatMap(member_rows)
    if summary.by_alias:  # else every resource names its Patient as Patient/<id>: no join (nor its two passes)
        aliases = parsed.flatMap(alias_rows).reduceByKey(min, shuffle)
        direct = members.filter(lambda row: row[1][0] == 0)
        by_alias = members.filter(lambda row: row[1][0] == 1).leftOuterJoin(aliases, shuffle).map(resolve_alias)
        members = direct.union(by_alias)
    buckets = max(1, min(512, size // BUCKET_BYTES + 1))
    slices_out = slices or max(context.defaultParallelism, size // GROUP_BYTES + 1)
    grouped = members.groupByKey(slices_out, bucket_range(buckets, slices_out))
    groups = grouped.mapPartitions(sorted_groups(buckets), preservesPartitioning=True)
    skipped = Counter({k: n for k, (_, n) in sorted(summary.skipped.items(), key=lambda t: t[1][0])})
    return SparkGrouped(
        source=source,
        version=detector.version,
        shared=[item for _, item in sorted(summary.shared, key=lambda t: t[0])],
        orphans=[item for _, item in sorted(summary.orphans, key=lambda t: t[0])],
        skipped=skipped,
        total=summary.total,
        rdd=groups,
        _parsed=parsed,
    )
