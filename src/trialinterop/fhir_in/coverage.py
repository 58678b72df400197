"""The coverage report of fhir-to-sdtm: every input resource and every element of it, mapped (to which datasets and
variables) or not mapped (with why), with counts.

Resources: each is counted once, as mapped to the datasets its records went to, as read through a reference from a
mapped resource, or as not mapped with the reason (ignored on purpose, coded with nothing the study knows, a problem,
or a type nothing reads). Elements: for each mapped resource, every top-level element present (an extension by its
URL) is looked up in mappings/fhir-in/elements.csv (resource, element -> SDTM targets, its source in the HL7 Joint
Mapping IG or this tool's FHIR output); an element not in the table, or in it with no targets (its `source` then says
why), is counted as not mapped. So is each occurrence of an element the mapping left blank (FhirInput.leave_out: e.g.
an encounter that is no study visit, a mitigatingAction given as a Reference), with its reason.
"""

from __future__ import annotations

import csv
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trialinterop.fhir_in.load import FhirInput, Located
from trialinterop.fhir_in.unmapped import Unmapped
from trialinterop.resources import mappings_dir

VIA_REFERENCE = "(read through a reference)"
NOTHING_READS = "nothing reads it"


@functools.cache
def _element_rows() -> list[dict[str, str]]:
    with (mappings_dir() / "fhir-in" / "elements.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def element_targets() -> dict[tuple[str, str], str]:
    """(resource type, element) -> SDTM targets, from mappings/fhir-in/elements.csv (rows with targets)."""
    rows = [row for row in _element_rows() if row["targets"]]
    table = {(row["resource"], row["element"]): row["targets"] for row in rows}
    kinds = {row["resource"] for row in rows if row["resource"] != "*"}
    for row in rows:  # "*": an element every resource type may have
        if row["resource"] == "*":
            table.update({(kind, row["element"]): row["targets"] for kind in kinds})
    return table


@functools.cache
def element_reasons() -> dict[tuple[str, str], str]:
    """(resource type, element) -> why it maps to nothing: the rows of mappings/fhir-in/elements.csv without
    targets (their `source` says why)."""
    return {(row["resource"], row["element"]): row["source"] for row in _element_rows() if not row["targets"]}


def element_names(resource: dict[str, Any]) -> Iterable[str]:
    """Top-level elements present; each extension (and modifierExtension) as `extension(<url>)`."""
    for name, value in resource.items():
        if name == "resourceType":
            continue
        if name in ("extension", "modifierExtension") and isinstance(value, list):
            for extension in value:
                url = extension.get("url") if isinstance(extension, dict) else None
                yield f"{name}({url})"
        else:
            yield name


@dataclass
class Coverage:
    read: Counter[str] = field(default_factory=Counter)
    """resourceType -> resources read."""
    mapped: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """resourceType -> dataset (or VIA_REFERENCE) -> resources."""
    not_mapped: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """resourceType -> reason -> resources."""
    elements: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """resourceType -> element -> mapped resources with extensions that have it (the others are in `shapes`)."""
    shapes: Counter[tuple[str, tuple[str, ...]]] = field(default_factory=Counter)
    """(resourceType, its top-level element names) -> resources, for resources without extensions (counted by shape:
    most resources of a type share one, so this is far cheaper than counting each element); see `element_counts`."""
    shared_cited: set[str] = field(default_factory=set)
    """`where` of the shared resources (site study, Medication...) a subject resource read through a reference."""
    left_out: dict[str, Counter[tuple[str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    """resourceType -> (element, reason) -> mapped resources whose element was left blank (FhirInput.leave_out)."""

    def count(self, fhir: FhirInput, resources: Iterable[Located], unmapped: Unmapped, *, errors: bool = True) -> None:
        """Account for `resources` as mapping them left `fhir` (marks, ignores, references) and `unmapped`."""
        labels = {id(i.resource): _label(key) for key, items in unmapped.found.items() for i in items}
        failed = {issue.where for issue in fhir.errors} if errors else set()
        # counted locally first, then added in first-seen order (the order the report lists them): this runs once
        # per input resource
        read: Counter[str] = Counter()
        mapped: Counter[tuple[str, str]] = Counter()
        shapes: Counter[tuple[str, tuple[str, ...]]] = Counter()
        marks, ignored, referenced, left_out = fhir.mapped, fhir.ignored, fhir.referenced, fhir.left_out
        for item in resources:
            resource = item.resource
            kind, key = resource["resourceType"], id(resource)
            read[kind] += 1
            datasets = marks.get(key)
            if datasets is not None:
                for dataset in sorted(datasets) if len(datasets) > 1 else datasets:
                    mapped[(kind, dataset)] += 1
            elif key in labels:
                self.not_mapped[kind][labels[key]] += 1
                continue
            elif item.where in failed:
                self.not_mapped[kind]["a problem stopped it (see the errors)"] += 1
                continue
            elif key in ignored:
                self.not_mapped[kind][ignored[key]] += 1
                continue
            elif key in referenced:
                mapped[(kind, VIA_REFERENCE)] += 1
            else:
                self.not_mapped[kind][NOTHING_READS] += 1
                continue
            if key in left_out:
                for name, reason in left_out[key].items():
                    self.left_out[kind][(name, reason)] += 1
            if "extension" in resource or "modifierExtension" in resource:
                self.elements[kind].update(element_names(resource))
            else:
                shapes[(kind, tuple(resource))] += 1
        self.read.update(read)
        for (kind, dataset), number in mapped.items():
            self.mapped[kind][dataset] += number
        self.shapes.update(shapes)

    def add(self, other: Coverage) -> None:
        self.read.update(other.read)
        self.shapes.update(other.shapes)
        self.shared_cited |= other.shared_cited
        for mine, theirs in ((self.mapped, other.mapped), (self.not_mapped, other.not_mapped),
                             (self.elements, other.elements)):  # fmt: skip
            for kind, counts in theirs.items():
                mine[kind].update(counts)
        for kind, left in other.left_out.items():
            self.left_out[kind].update(left)

    def skip(self, counts: Counter[str], reason: str) -> None:
        for kind, count in counts.items():
            self.read[kind] += count
            self.not_mapped[kind][reason] += count

    @property
    def dropped(self) -> int:
        return sum(sum(c.values()) for c in self.not_mapped.values())

    def element_counts(self) -> dict[str, Counter[str]]:
        """resourceType -> element -> mapped resources that have it (shapes expanded)."""
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for kind, counts in self.elements.items():
            found[kind].update(counts)
        for (kind, names), count in self.shapes.items():
            for name in names:
                if name != "resourceType":
                    found[kind][name] += count
        return found

    def element_not_mapped(self, kind: str, name: str, count: int) -> dict[str, int]:
        """Reason -> occurrences of element `name` of `kind` (present `count` times) that map to nothing: all of them
        when the table gives it no targets, else those the mapping left blank; {} when every one is mapped (or the
        element is not in the table: then `mapped_to` null says so)."""
        generic = (kind, _generic(name))
        if generic in element_reasons():
            return {element_reasons()[generic]: count}
        return {reason: n for (element, reason), n in sorted(self.left_out.get(kind, Counter()).items())
                if element == name}  # fmt: skip

    def unmapped_elements(self) -> dict[str, dict[str, int]]:
        """resourceType -> element -> occurrences not mapped (not in the table, no targets, or left blank)."""
        targets = element_targets()
        found: dict[str, dict[str, int]] = {}
        for kind, counts in sorted(self.element_counts().items()):
            missing = {}
            for name, n in sorted(counts.items()):
                blank = sum(self.element_not_mapped(kind, name, n).values())
                if (kind, _generic(name)) not in targets or blank:
                    missing[name] = n if (kind, _generic(name)) not in targets else blank
            if missing:
                found[kind] = missing
        return found

    def report(self, *, source: str, version: str) -> dict[str, Any]:
        """The JSON document of `--report`."""
        targets = element_targets()
        counts = self.element_counts()
        resources = {}
        for kind in sorted(self.read):
            elements: dict[str, dict[str, Any]] = {}
            for name, n in sorted(counts.get(kind, Counter()).items()):
                elements[name] = {"count": n, "mapped_to": targets.get((kind, _generic(name)))}
                if reasons := self.element_not_mapped(kind, name, n):
                    elements[name]["not_mapped"] = reasons
            resources[kind] = {
                "read": self.read[kind],
                "mapped": dict(sorted(self.mapped.get(kind, Counter()).items())),
                "not_mapped": dict(sorted(self.not_mapped.get(kind, Counter()).items())),
                "elements": elements,
            }
        unmapped_elements = self.unmapped_elements()
        return {
            "source": source,
            "fhir_version": version,
            "totals": {
                "resources": sum(self.read.values()),
                "mapped": sum(sum(c.values()) for c in self.mapped.values()) - self._multi(),
                "not_mapped": self.dropped,
                "element_kinds_not_mapped": sum(len(v) for v in unmapped_elements.values()),
                "element_occurrences_not_mapped": sum(sum(v.values()) for v in unmapped_elements.values()),
            },
            "resources": resources,
        }

    def _multi(self) -> int:
        """Resources counted under more than one dataset (so the mapped total counts each once)."""
        return sum(sum(c.values()) for c in self.mapped.values()) - (sum(self.read.values()) - self.dropped)

    def summary_lines(self) -> list[str]:
        """The console summary: one line per resource type, then the elements not mapped."""
        lines = []
        for kind in sorted(self.read):
            mapped = ", ".join(f"{d} {n}" for d, n in sorted(self.mapped.get(kind, Counter()).items()))
            dropped = sum(self.not_mapped.get(kind, Counter()).values())
            lines.append(f"  {kind}: {self.read[kind]} read; mapped: {mapped or 'none'}; not mapped: {dropped}")
            for reason, n in sorted(self.not_mapped.get(kind, Counter()).items()):
                lines.append(f"    not mapped ({n}): {reason}")
        counts = self.element_counts()
        for kind, missing in self.unmapped_elements().items():
            shown = []
            for name, n in missing.items():
                reasons = self.element_not_mapped(kind, name, counts[kind][name])
                shown.append(f"{name} {n}" + (f" ({'; '.join(reasons)})" if reasons else ""))
            lines.append(f"  {kind} elements not mapped: {', '.join(shown)}")
        return lines


def _label(key: tuple[str, str, str]) -> str:
    """The coverage reason of an Unmapped entry."""
    from trialinterop.fhir_in.unmapped import REASON

    _, element, label = key
    return label[len(REASON) :] if label.startswith(REASON) else f"coded {label} ({element}): maps to nothing"


def _generic(name: str) -> str:
    """`extension(<url>)` of a sponsor extension as `extension(sponsor:<name>)`, so one table row covers any sponsor
    base URI; any other element as it is."""
    if name.startswith("extension(") and "/StructureDefinition/" in name:
        from trialinterop.fhir_in.values import SPONSOR_NAMES

        last = name[len("extension(") : -1].rsplit("/", 1)[-1]
        if last in SPONSOR_NAMES and "hl7.org" not in name:
            return f"extension(sponsor:{last})"
    return name
