"""Stream FHIR input and group it by subject: the seam between reading and mapping.

`group_input(path)` reads a Bundle (parsed whole: a Bundle is one JSON document) or an NDJSON folder (line by line)
once, and splits it into

- `shared`: resources no Patient owns (ResearchStudy, Organization, Location, PlanDefinition, Group, Medication...),
  kept in memory (a trial has few);
- subject groups: each Patient with every resource whose subject (`subject`, R4 `individual`/`patient`) is that
  Patient. For NDJSON the groups are spilled to bucket files on disk (a stable hash of the subject key picks the
  bucket; the line is kept as read and parsed again when its group is mapped), so only one bucket's lines and one
  group's resources are in memory at a time;
- `orphans`: resources of a subject type that name no Patient (reported by the mapping), and `skipped`: counts of
  resource types nothing reads (Practitioner, Provenance...), for the coverage report.

Mapping each group is a pure function of (shared context, group) (fhir_in.subjects.map_subject); a distributed engine
can group the same way (key = `subject_key`) and call the same function per group (see docs/fhir-in.md).

The subject key of a reference is `Patient/<id>` (an absolute URL or `_history` tail is reduced to it); a Bundle
`urn:uuid` fullUrl or a logical reference by identifier is an alias that the Patient's own entry resolves.
"""

from __future__ import annotations

import pickle
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from trialinterop.fhir_in.load import (
    READ_TYPES,
    Located,
    _read_bundle,
    fail,
    line_resource,
    ndjson_entries,
    parsed_again,
    release_shown,
)
from trialinterop.fhir_in.version import VersionDetector

SUBJECT_ELEMENTS: dict[str, tuple[str, ...]] = {
    "ResearchSubject": ("individual", "subject"),
    "Observation": ("subject",),
    "Condition": ("subject",),
    "AdverseEvent": ("subject",),
    "MedicationAdministration": ("subject",),
    "MedicationStatement": ("subject",),
    "MedicationRequest": ("subject",),
    "Procedure": ("subject",),
    "Encounter": ("subject",),
    "Consent": ("patient", "subject"),
}
"""Resource type -> the elements that name its Patient (first present wins)."""
BUCKET_BYTES = 2 * 1024 * 1024
"""NDJSON input is spilled to about one bucket per this many input bytes (at least 1, at most 512)."""


def reference_key(reference: Any) -> str | None:
    """The subject key a Reference names: `Patient/<id>` from a relative or absolute reference, else the reference
    text (a `urn:uuid`), else `identifier:<system>|<value>`; None when it names nothing."""
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if isinstance(text, str) and text:
        if text.startswith("Patient/") and text.count("/") == 1 and len(text) > 8:
            return text  # the common `Patient/<id>` as it is
        head = text.partition("/_history/")[0].rstrip("/")
        parts = head.split("/")
        if len(parts) >= 2 and parts[-2] == "Patient":
            return f"Patient/{parts[-1]}"
        if len(parts) == 1 and ":" not in head and not head.startswith("#"):
            return f"Patient/{head}"  # a bare id (not FHIR, but seen in published examples)
        return head
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return f"identifier:{identifier.get('system') or ''}|{identifier['value']}"
    return None


def subject_reference(resource: dict[str, Any]) -> Any:
    """The Reference that names the resource's Patient (None for resources no Patient owns)."""
    for element in SUBJECT_ELEMENTS.get(resource.get("resourceType", ""), ()):
        if resource.get(element):
            return resource[element]
    return None


def patient_aliases(item: Located) -> list[str]:
    """Keys other resources may use for this Patient: its fullUrl and `identifier:<system>|<value>` of each
    identifier (the first key is its own, `Patient/<id>`, or the fullUrl without an id)."""
    resource = item.resource
    keys = [f"Patient/{resource['id']}"] if isinstance(resource.get("id"), str) else []
    full_url = getattr(item, "full_url", None)
    if full_url:
        keys.append(str(reference_key({"reference": full_url})))
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            keys.append(f"identifier:{identifier.get('system') or ''}|{identifier['value']}")
    return keys


@dataclass
class SubjectGroup:
    """One Patient (or, when the input has no Patient for the key, none) and the resources that name it."""

    key: str
    resources: list[Located]


@dataclass
class GroupedInput:
    """The input split by subject (see the module docstring). `groups()` may be iterated more than once."""

    source: Path
    version: str
    shared: list[Located]
    orphans: list[Located] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """resourceType -> count, for types nothing reads."""
    total: int = 0
    _memory: dict[str, list[Located]] | None = None
    _spill: _Spill | None = None

    def groups(self) -> Iterator[SubjectGroup]:
        """Subject groups in a deterministic order (bucket, then first appearance in the input)."""
        if self._memory is not None:
            for key, items in self._memory.items():
                yield SubjectGroup(key, items)
        elif self._spill is not None:
            yield from self._spill.groups()

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()

    def __enter__(self) -> GroupedInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def group_input(source: str | Path, *, version: str = "auto") -> GroupedInput:
    """Read `source` once and group it by subject (see the module docstring); `version` is auto, R4 or R5."""
    path = Path(source)
    if not path.exists():
        raise fail("FHIR input not found", where=str(path))
    detector = VersionDetector(version)
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.glob("*.ndjson"))
        spill = _Spill(max(1, min(512, size // BUCKET_BYTES + 1)))
        try:
            grouped = _group(path, _lines(ndjson_entries(path)), detector, spill)
        except BaseException:
            spill.close()
            raise
        return grouped
    entries = ((e.resource, e.origin.file, e.origin.row, b"", e) for e in _read_bundle(path))
    return _group(path, entries, detector, None)


_Entry = tuple[dict[str, Any], str, int, bytes, "Located | None"]
"""(resource, file, row, NDJSON line, its Located if made): what `_group` reads. A bundle entry comes located (its
place is an entry number and it has a fullUrl); an NDJSON line is located only when it is kept parsed (shared,
orphan, Patient) or named in an error: most lines are spilled as they were read."""


def _lines(entries: Iterator[tuple[dict[str, Any], str, int, bytes]]) -> Iterator[_Entry]:
    return ((resource, name, number, line, None) for resource, name, number, line in entries)


def _group(path: Path, entries: Iterator[_Entry], detector: VersionDetector, spill: _Spill | None) -> GroupedInput:
    shared: list[Located] = []
    orphans: list[Located] = []
    skipped: Counter[str] = Counter()
    seen: dict[str, tuple[str, int]] = {}
    """`Type/id` -> (file, row) where it was read (not the longer `where` text: one per resource of the input)."""
    aliases: dict[str, str] = {}
    memory: dict[str, list[Located]] = {}
    pending: list[tuple[str, _Entry]] = []
    total = 0
    for entry in entries:
        resource, file, row = entry[:3]
        total += 1
        kind = resource["resourceType"]
        if release_shown(resource) is not None:
            detector.see(_located(entry))
        if kind not in READ_TYPES:
            skipped[kind] += 1
            continue
        rid = resource.get("id")
        if rid is not None:
            key = f"{kind}/{rid}"
            first = seen.get(key)
            if first is not None:
                place = f"{first[0]}:{first[1]}" if spill is not None else f"{first[0]} entry[{first[1] - 1}]"
                raise _located(entry).fail("id", f"duplicate resource {key} (also at {place})")
            seen[key] = (file, row)
        if kind == "Patient":
            item = _located(entry)
            keys = patient_aliases(item) or [item.where]
            for alias in keys[1:]:
                aliases.setdefault(alias, keys[0])
            _place(keys[0], entry, memory, spill)
            continue
        reference = subject_reference(resource)
        if reference is None:
            (orphans if kind in SUBJECT_ELEMENTS else shared).append(_located(entry))
            continue
        subject = reference_key(reference)
        if subject is None:
            orphans.append(_located(entry))
        elif subject.startswith("Patient/"):
            _place(subject, entry, memory, spill)
        else:
            pending.append((subject, entry))  # an alias: placed once every Patient is known
    for subject, entry in pending:
        _place(aliases.get(subject, subject), entry, memory, spill)
    if total == 0:
        raise fail("no FHIR resources found", where=str(path))
    grouped = GroupedInput(path, detector.version, shared, orphans, skipped, total)
    if spill is None:
        grouped._memory = memory
    else:
        spill.finish()
        grouped._spill = spill
    return grouped


def _located(entry: _Entry) -> Located:
    """The entry's Located: a bundle entry's own, else made for its NDJSON line."""
    resource, file, row, _, item = entry
    return item or line_resource(resource, file, row)


def _place(key: str, entry: _Entry, memory: dict[str, list[Located]], spill: _Spill | None) -> None:
    if spill is None:
        memory.setdefault(key, []).append(_located(entry))
    else:
        _, file, row, line, _ = entry
        spill.add(key, line, file, row)


class _Spill:
    """Subject groups spilled to bucket files: records (key, NDJSON line, file, line number) are pickled in batches of
    about `BATCH_BYTES` per bucket (small, since every bucket's open batch stays in memory until written). The line
    is kept as read, not the parsed resource: `groups()` parses each group's lines again (`load.parsed_again`, which
    gives the same resource and place) only when it yields that group, so one bucket's bytes and one group's
    resources are in memory at a time, and parsing a line again with orjson costs less than pickling and unpickling
    its parsed objects. The files are this process's own, in a temporary folder removed by `close`."""

    BATCH_BYTES = 32 * 1024
    """A bucket's open batch is written once its lines reach this size (a few writes of this size cost less than
    many small ones; every bucket holds at most this much unwritten)."""

    def __init__(self, buckets: int) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="trialinterop-fhir-")
        self.count = buckets
        self.handles: list[BinaryIO] | None = [(Path(self.folder.name) / f"{n}.bin").open("wb") for n in range(buckets)]
        self.pending: list[list[tuple[Any, ...]]] = [[] for _ in range(buckets)]
        self.pending_bytes = [0] * buckets
        self.buckets: dict[str, int] = {}
        """Subject key -> its bucket (a stable hash of the key, computed once per subject)."""

    def add(self, key: str, line: bytes, file: str, row: int) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = zlib.crc32(key.encode()) % self.count
        batch = self.pending[bucket]
        batch.append((key, line, file, row))
        self.pending_bytes[bucket] += len(line)
        if self.pending_bytes[bucket] >= self.BATCH_BYTES:
            self._flush(bucket)

    def _flush(self, bucket: int) -> None:
        assert self.handles is not None
        if self.pending[bucket]:
            pickle.dump(self.pending[bucket], self.handles[bucket], protocol=pickle.HIGHEST_PROTOCOL)
            self.pending[bucket] = []
            self.pending_bytes[bucket] = 0

    def finish(self) -> None:
        if self.handles is None:
            return
        for bucket in range(self.count):
            self._flush(bucket)
        for handle in self.handles:
            handle.close()
        self.handles = None

    def groups(self) -> Iterator[SubjectGroup]:
        for number in range(self.count):
            found: dict[str, list[tuple[bytes, str, int]]] = {}
            with (Path(self.folder.name) / f"{number}.bin").open("rb") as handle:
                while True:
                    try:
                        batch = pickle.load(handle)
                    except EOFError:
                        break
                    for key, line, file, row in batch:
                        found.setdefault(key, []).append((line, file, row))
            for key in list(found):
                lines = found.pop(key)
                yield SubjectGroup(key, [parsed_again(line, file, row) for line, file, row in lines])

    def close(self) -> None:
        self.finish()
        self.folder.cleanup()
