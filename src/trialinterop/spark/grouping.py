"""Resources keyed and grouped by subject in Spark, exactly as `fhir_in.groups.group_input` does on one machine.

The keys come from the same functions (`subject_reference`, `reference_key`, `patient_aliases`); what Spark adds is
where the work happens. Only small index rows go through Spark, never the parsed resources (pickling every resource
between the JVM and the Python workers, caching it and shuffling it cost several times the mapping itself):

- one pass parses every line (`index_chunks`) and keeps, per resource, a `Row`: position, byte offset and length,
  `Type/id`, subject key; the same pass returns a small `Summary` per partition (first parse error, first resource of
  each FHIR release, counts of skipped types, the shared resources and the orphans: a trial has few of these). Only
  the rows are cached;
- a shuffle of (`Type/id`, position) finds duplicate ids (the second occurrence in input order is the error, as on one
  machine; that line is read back to name it);
- references by alias (a Patient's identifier) are resolved by a join with the Patients' aliases;
- `groupByKey` on the subject key gives each group's rows, in the order the single-machine spill gives them
  (resources naming the Patient directly in input order, then those naming it by an alias), and an order key
  (bucket, first appearance) equal to the single-machine order of the groups; then each partition reads its groups'
  lines back by offset, one group at a time, and parses them with the single-machine parser.

The driver keeps only the `Summary` rows and the resulting `GroupedInput` fields (shared resources, orphans, counts);
the groups stay in the executors (`SparkGrouped.rdd`).
"""

from __future__ import annotations

import sys
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
from trialinterop.fhir_in.load import READ_TYPES, Located, _release_of, fail, ndjson_line
from trialinterop.fhir_in.version import VersionDetector
from trialinterop.source.models import Origin
from trialinterop.spark import ndjson
from trialinterop.spark.ndjson import Error, Position

Placed = tuple[int, Position]
"""(0: names its Patient directly or is the Patient, 1: by an alias; position): the single-machine placing order."""
GROUP_BYTES = 64 * 1024 * 1024
"""About this many input bytes per partition (at least the cluster's default parallelism)."""
OrderKey = tuple[int, Placed]
"""(bucket of the subject key, first placing of the group): the single-machine order of the groups."""


Row = tuple[Position, int, int, str | None, str | None, int, tuple[str, ...]]
"""An index row: (position, byte offset, length, `Type/id` (None when nothing reads the type), subject key (None when
no group holds it), 1 when that key is an alias else 0, the other keys of a Patient)."""


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

    def add(self, position: Position, offset: int, length: int, item: Located) -> Row | None:
        """Count the resource in the summary; its index row (None for a type nothing reads)."""
        self.total += 1
        shown = _release_of(item)
        if shown is not None and (shown[0] not in self.telling or position < self.telling[shown[0]][0]):
            self.telling[shown[0]] = (position, item)
        kind = item.type
        if kind not in READ_TYPES:
            first, count = self.skipped.get(kind, (position, 0))
            self.skipped[kind] = (min(first, position), count + 1)
            return None
        rid = item.resource.get("id")
        key = f"{kind}/{rid}" if rid is not None else None
        if kind == "Patient":
            keys = patient_aliases(item) or [item.where]
            return position, offset, length, key, keys[0], 0, tuple(keys[1:])
        reference = subject_reference(item.resource)
        if reference is None:
            (self.orphans if kind in SUBJECT_ELEMENTS else self.shared).append((position, item))
            return position, offset, length, key, None, 0, ()
        subject = reference_key(reference)
        if subject is None:
            self.orphans.append((position, item))
            return position, offset, length, key, None, 0, ()
        if subject.startswith("Patient/"):
            return position, offset, length, key, subject, 0, ()
        self.by_alias += 1
        return position, offset, length, key, subject, 1, ()


def index_chunks(chunks: Iterator[ndjson.Chunk]) -> Iterator[Row | Summary]:
    """Parse every line of the partition's chunks once; yield each resource's small index row, then the partition's
    Summary. The parsed resources are let go here (only the summary's few are kept)."""
    summary = Summary()
    for chunk in chunks:
        name = sys.intern(Path(chunk.path).name)
        for position, offset, line in ndjson.read_lines(chunk):
            try:
                item = ndjson_line(line, name, position[1])
            except InputError as exc:
                if summary.error is None or position < summary.error.position:
                    summary.error = Error.of(position, exc)
                break  # the single-machine reader stops at the first bad line; nothing after it in this chunk matters
            if item is not None:
                row = summary.add(position, offset, len(line), item)
                if row is not None:
                    yield row
    yield summary


def id_rows(rows: Iterator[Row | Summary]) -> Iterator[tuple[str, tuple[tuple[Position, int, int], ...]]]:
    """(`Type/id`, ((position, offset, length),)) of each resource with an id that a reader reads."""
    for row in rows:
        if type(row) is tuple and row[3] is not None:
            yield row[3], ((row[0], row[1], row[2]),)


def first_two(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """The two first occurrences (in input order) of a `Type/id` key."""
    return tuple(sorted(a + b))[:2]


def duplicate_error(key: str, seen: tuple[Any, ...], reader: ndjson.LineReader) -> InputError:
    """The error the single-machine reader raises at the second occurrence of `key` (read back to name it)."""
    (first, _, _), (position, offset, length) = seen
    item = reader.located(position, offset, length)
    origin = Origin(reader.names[first[0]], first[1])
    return item.fail("id", f"duplicate resource {key} (also at {origin.file}:{origin.row})")


def alias_rows(rows: Iterator[Row | Summary]) -> Iterator[tuple[str, tuple[Position, str | None]]]:
    """(alias, (position, the Patient's own key)) of each other key of each Patient."""
    for row in rows:
        if type(row) is tuple and row[6]:
            for alias in row[6]:
                yield alias, (row[0], row[4])


Member = tuple[str, tuple[int, Position, int, int]]
"""(subject key, (1 when the key is an alias else 0, position, offset, length)): a resource a group holds."""


def member_rows(rows: Iterator[Row | Summary]) -> Iterator[Member]:
    for row in rows:
        if type(row) is tuple and row[4] is not None:
            yield row[4], (row[5], row[0], row[1], row[2])


def resolve_alias(pair: tuple[str, tuple[tuple[int, Position, int, int], Any]]) -> Member:
    """A resource naming its Patient by an alias goes to that Patient's group (else stays under the alias)."""
    key, (member, patient) = pair
    return (patient[1] if patient else key), member


def bucket_range(buckets: int, slices: int) -> Any:
    """A partitioner sending each subject key to the partition of its bucket's range: partitions in order hold the
    buckets in order, so groups sorted within each partition are in the single-machine order overall."""

    def partition(key: str) -> int:
        return (zlib.crc32(key.encode()) % buckets) * slices // buckets

    return partition


def sorted_groups(buckets: int, paths: list[str]) -> Any:
    """A partition's groups as (order key, SubjectGroup), sorted by the order key; each group's resources are read
    back from the input files (by offset) and parsed when the group is reached, so one group is parsed at a time."""

    def build(pairs: Iterator[tuple[str, Any]]) -> Iterator[tuple[OrderKey, SubjectGroup]]:
        found = []
        for key, members in pairs:
            ordered = sorted(members)
            found.append(((zlib.crc32(key.encode()) % buckets, (ordered[0][0], ordered[0][1])), key, ordered))
        found.sort(key=lambda t: t[0])
        reader = ndjson.LineReader(paths)
        try:
            for order, key, ordered in found:
                yield order, SubjectGroup(key, [reader.located(m[1], m[2], m[3]) for m in ordered])
        finally:
            reader.close()

    return build


@dataclass
class SparkGrouped(GroupedInput):
    """The GroupedInput of the single-machine path, its groups left in Spark: `rdd` holds (order key, group)."""

    rdd: Any = None
    _index: Any = None

    def close(self) -> None:
        if self._index is not None:
            self._index.unpersist()

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
    index = context.parallelize(numbered, count).mapPartitions(index_chunks)
    index.persist(StorageLevel.MEMORY_AND_DISK)
    shuffle = context.defaultParallelism
    summary = Summary()
    for part in index.filter(lambda row: type(row) is Summary).collect():
        summary.merge(part)
    problems: list[tuple[Position, InputError]] = []
    if summary.error is not None:
        problems.append((summary.error.position, summary.error.error()))
    for position, item in sorted(summary.telling.values(), key=lambda t: t[0]):
        try:
            detector.see(item)
        except InputError as exc:
            problems.append((position, exc))
    paths = [str(path) for path in files]
    ids = index.mapPartitions(id_rows).reduceByKey(first_two, shuffle).filter(lambda pair: len(pair[1]) == 2)
    reader = ndjson.LineReader(paths)
    try:
        for key, seen in ids.takeOrdered(1, key=lambda pair: pair[1][1][0]):
            problems.append((seen[1][0], duplicate_error(key, seen, reader)))
    finally:
        reader.close()
    if problems:
        index.unpersist()
        raise min(problems, key=lambda t: t[0])[1]
    if summary.total == 0:
        index.unpersist()
        raise fail("no FHIR resources found", where=str(source))
    members = index.mapPartitions(member_rows)
    if summary.by_alias:  # else every resource names its Patient as Patient/<id>: no join (nor its two passes)
        aliases = index.mapPartitions(alias_rows).reduceByKey(min, shuffle)
        direct = members.filter(lambda row: row[1][0] == 0)
        by_alias = members.filter(lambda row: row[1][0] == 1).leftOuterJoin(aliases, shuffle).map(resolve_alias)
        members = direct.union(by_alias)
    buckets = max(1, min(512, size // BUCKET_BYTES + 1))
    slices_out = slices or max(context.defaultParallelism, size // GROUP_BYTES + 1)
    grouped = members.groupByKey(slices_out, bucket_range(buckets, slices_out))
    groups = grouped.mapPartitions(sorted_groups(buckets, paths), preservesPartitioning=True)
    skipped = Counter({k: n for k, (_, n) in sorted(summary.skipped.items(), key=lambda t: t[1][0])})
    return SparkGrouped(
        source=source,
        version=detector.version,
        shared=[item for _, item in sorted(summary.shared, key=lambda t: t[0])],
        orphans=[item for _, item in sorted(summary.orphans, key=lambda t: t[0])],
        skipped=skipped,
        total=summary.total,
        rdd=groups,
        _index=index,
    )
