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

from trialinterop.fhir_in.load import READ_TYPES, Located, _read_bundle, fail, ndjson_lines, parsed_again
from trialinterop.fhir_in.version import VersionDetector
from trialinterop.source.models import Origin

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
            grouped = _group(path, ndjson_lines(path), detector, spill)
        except BaseException:
            spill.close()
            raise
        return grouped
    return _group(path, ((item, b"") for item in _read_bundle(path)), detector, None)


def _group(
    path: Path, located: Iterator[tuple[Located, bytes]], detector: VersionDetector, spill: _Spill | None
) -> GroupedInput:
    shared: list[Located] = []
    orphans: list[Located] = []
    skipped: Counter[str] = Counter()
    seen: dict[str, Origin] = {}
    """`Type/id` -> where it was read (an Origin, not the longer `where` text: one per resource of the input)."""
    aliases: dict[str, str] = {}
    memory: dict[str, list[Located]] = {}
    pending: list[tuple[str, Located, bytes]] = []
    total = 0
    for item, line in located:
        total += 1
        detector.see(item)
        kind = item.type
        if kind not in READ_TYPES:
            skipped[kind] += 1
            continue
        rid = item.resource.get("id")
        if rid is not None:
            key = f"{kind}/{rid}"
            if key in seen:
                first = seen[key]
                place = f"{first.file}:{first.row}" if spill is not None else f"{first.file} entry[{first.row - 1}]"
                raise item.fail("id", f"duplicate resource {key} (also at {place})")
            seen[key] = item.origin
        if kind == "Patient":
            keys = patient_aliases(item) or [item.where]
            for alias in keys[1:]:
                aliases.setdefault(alias, keys[0])
            _place(keys[0], item, line, memory, spill)
            continue
        reference = subject_reference(item.resource)
        if reference is None:
            (orphans if kind in SUBJECT_ELEMENTS else shared).append(item)
            continue
        subject = reference_key(reference)
        if subject is None:
            orphans.append(item)
        elif subject.startswith("Patient/"):
            _place(subject, item, line, memory, spill)
        else:
            pending.append((subject, item, line))  # an alias: placed once every Patient is known
    for subject, item, line in pending:
        _place(aliases.get(subject, subject), item, line, memory, spill)
    if total == 0:
        raise fail("no FHIR resources found", where=str(path))
    grouped = GroupedInput(path, detector.version, shared, orphans, skipped, total)
    if spill is None:
        grouped._memory = memory
    else:
        spill.finish()
        grouped._spill = spill
    return grouped


def _place(key: str, item: Located, line: bytes, memory: dict[str, list[Located]], spill: _Spill | None) -> None:
    if spill is None:
        memory.setdefault(key, []).append(item)
    else:
        spill.add(key, item, line)


class _Spill:
    """Subject groups spilled to bucket files: records (key, NDJSON line, file, line number) are pickled in small
    batches of `BATCH` per bucket (small, since every bucket's open batch stays in memory until written). The line is
    kept as read, not the parsed resource: `groups()` parses each group's lines again (`load.parsed_again`, which gives
    the same resource and place) only when it yields that group, so one bucket's bytes and one group's resources are
    in memory at a time, and parsing a line again with orjson costs less than pickling and unpickling its parsed
    objects. The files are this process's own, in a temporary folder removed by `close`."""

    BATCH = 16

    def __init__(self, buckets: int) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="trialinterop-fhir-")
        self.count = buckets
        self.handles: list[BinaryIO] | None = [(Path(self.folder.name) / f"{n}.bin").open("wb") for n in range(buckets)]
        self.pending: list[list[tuple[Any, ...]]] = [[] for _ in range(buckets)]
        self.buckets: dict[str, int] = {}
        """Subject key -> its bucket (a stable hash of the key, computed once per subject)."""

    def add(self, key: str, item: Located, line: bytes) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = zlib.crc32(key.encode()) % self.count
        batch = self.pending[bucket]
        batch.append((key, line, item.origin.file, item.origin.row))
        if len(batch) >= self.BATCH:
            self._flush(bucket)

    def _flush(self, bucket: int) -> None:
        assert self.handles is not None
        if self.pending[bucket]:
            pickle.dump(self.pending[bucket], self.handles[bucket], protocol=pickle.HIGHEST_PROTOCOL)
            self.pending[bucket] = []

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
