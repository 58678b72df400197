"""Read FHIR input: one Bundle file (transaction, collection, batch or searchset) or an NDJSON export folder (one
resource per line, `<Type>.ndjson` as FHIR Bulk Data writes it), then tell R4 from R5 and resolve references.

Every resource keeps where it came from (`file entry[i]` or `file:line`), so any later problem names the element.
Version detection is by shape: elements that exist in only one release (R4 ResearchSubject.individual vs R5
.subject, AdverseEvent.event vs .code, ...). References resolve by fullUrl (`urn:uuid:...` or a server URL), by
`Type/id`, and by the `Type/id` tail of an absolute URL (`_history` ignored), as servers export them.
Input is untrusted: sizes are capped before parsing and JSON errors are reported with their line and column.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None  # type: ignore[assignment]

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.source.construct import maker
from trialinterop.source.models import Origin

MAX_BUNDLE_BYTES = 512 * 1024 * 1024
"""A Bundle is parsed whole (about ten times its size in memory); larger trials should come as NDJSON."""
MAX_NDJSON_LINE_BYTES = 16 * 1024 * 1024
NESTED = "JSON nested too deeply (no FHIR resource nests that far)"
BUNDLE_TYPES = ("transaction", "collection", "batch", "searchset", "document")

READ_TYPES = frozenset(
    {
        "AdverseEvent", "Condition", "Consent", "Encounter", "Group", "Location", "Medication",
        "MedicationAdministration", "MedicationRequest", "MedicationStatement", "Observation", "Organization",
        "Patient", "PlanDefinition", "Procedure", "ResearchStudy", "ResearchSubject",
    }
)  # fmt: skip
"""Resource types the trial is rebuilt from; other valid FHIR resources (Provenance, Practitioner...) are skipped."""

_R4_ONLY: dict[str, tuple[str, ...]] = {
    "ResearchSubject": ("individual", "assignedArm", "actualArm"),
    "AdverseEvent": ("event", "date", "resultingCondition", "severity"),
    "ResearchStudy": ("arm", "enrollment", "sponsor", "principalInvestigator", "location"),
    "Encounter": ("period", "reasonCode", "hospitalization"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod", "medicationReference"),
    "Consent": ("patient", "dateTime", "scope", "policyRule"),
    "Procedure": ("performedDateTime", "performedPeriod"),
    "Group": ("actual",),
    "Medication": ("form",),
    "MedicationStatement": ("medicationCodeableConcept", "medicationReference", "reasonCode", "context"),
}
_R5_ONLY: dict[str, tuple[str, ...]] = {
    "ResearchSubject": ("subject", "progress", "assignedComparisonGroup", "actualComparisonGroup"),
    "AdverseEvent": ("code", "occurrenceDateTime", "occurrencePeriod", "resultingEffect", "mitigatingAction"),
    "ResearchStudy": ("comparisonGroup", "recruitment", "progressStatus", "associatedParty", "region", "label"),
    "Encounter": ("actualPeriod", "reason", "plannedStartDate"),
    "MedicationAdministration": ("occurenceDateTime", "occurencePeriod", "medication"),
    "Consent": ("subject", "date", "decision"),
    "Procedure": ("occurrenceDateTime", "occurrencePeriod"),
    "Group": ("membership",),
    "Medication": ("doseForm",),
    "MedicationStatement": ("medication", "reason", "adherence", "encounter"),
}
VERSION_ONLY = {"R4": _R4_ONLY, "R5": _R5_ONLY}


def fail(message: str, *, where: str = "", element: str = "") -> InputError:
    """The InputError every reader raises: one issue naming the place and the element."""
    return InputError([Issue("FHIR-IN", Severity.ERROR, message, where=where, field=element)], summary="bad FHIR input")


@dataclass(frozen=True, slots=True, eq=False)
class Located:
    """A resource and where it was read (`bundle.json entry[3] (Patient/abc)` or `Patient.ndjson:7 (Patient/abc)`);
    `origin` is file and entry number (1-based) or NDJSON line, for the records rebuilt from it."""

    resource: dict[str, Any]
    where: str
    origin: Origin

    @property
    def type(self) -> str:
        return self.resource["resourceType"]

    def fail(self, element: str, message: str) -> InputError:
        return fail(message, where=self.where, element=element)


_new_located, _new_origin = maker(Located), maker(Origin)
"""`Located(...)` and `Origin(...)` for every line of an NDJSON input (source.construct.maker: a third of the cost)."""


@dataclass
class FhirInput:
    """A set of resources to map (the whole input, or one subject's group over the shared resources: `index` then
    chains the group's keys before the shared ones) and what mapping them found."""

    source: Path
    version: str
    resources: list[Located]
    index: Mapping[str, Located] = field(default_factory=dict)
    """fullUrl and `Type/id` -> resource."""
    current: Located | None = None
    """The resource being mapped, so a malformed element nobody foresaw is still reported with its place."""
    warnings: list[Issue] = field(default_factory=list)
    """What the mapping assumed where the input did not say (each names the resource and element)."""
    errors: list[Issue] = field(default_factory=list)
    """Problems that stopped one resource from mapping (collected, so one run lists them all)."""
    mapped: dict[int, set[str]] = field(default_factory=dict)
    """id() of a resource -> the datasets its records went to (coverage)."""
    ignored: dict[int, str] = field(default_factory=dict)
    """id() of a resource -> why it was deliberately left out (coverage)."""
    referenced: set[int] = field(default_factory=set)
    """id() of resources read through a reference from another (coverage)."""
    left_out: dict[int, dict[str, str]] = field(default_factory=dict)
    """id() of a resource -> its top-level elements present but left blank, with why (coverage counts them as not
    mapped: e.g. an encounter that is no study visit)."""
    _by_type: tuple[list[Located], int, dict[str, list[Located]]] | None = field(
        default=None, repr=False, compare=False
    )

    def warn(self, item: Located, element: str, message: str) -> None:
        """Record a documented fallback: `message` says what was assumed for `element` of `item`."""
        self.warnings.append(Issue("FHIR-IN", Severity.WARNING, message, where=item.where, field=element))

    def map_to(self, item: Located, dataset: str) -> None:
        marks = self.mapped.get(id(item.resource))
        if marks is None:  # not setdefault: this runs once per mapped resource, mostly its first mark
            self.mapped[id(item.resource)] = {dataset}
        else:
            marks.add(dataset)

    def ignore(self, item: Located, reason: str) -> None:
        self.ignored.setdefault(id(item.resource), reason)

    def leave_out(self, item: Located, element: str, reason: str) -> None:
        """Element `element` (`Type.name...` or `name`) of `item` is present but maps to nothing, for `reason`."""
        name = element.removeprefix(f"{item.type}.").split(".")[0]
        self.left_out.setdefault(id(item.resource), {}).setdefault(name, reason)

    def attempt(self, item: Located) -> _Attempt:
        """Map one resource: an InputError (or a malformed element) is recorded in `errors` and the resource left
        out, so the run goes on and reports every problem at once."""
        return _Attempt(self, item)

    def recorded(self, item: Located, exc: BaseException) -> bool:
        """Record what stopped `item` from mapping (True), as `attempt` does; False for an exception that is no
        input problem (the caller re-raises it). For hot loops, where a `try` costs less than a `with`."""
        if isinstance(exc, InputError):
            self.errors.extend(exc.issues)
            return True
        if isinstance(exc, AttributeError | TypeError | ValueError | KeyError | IndexError):
            detail = f"{type(exc).__name__}: {exc}"
            message = f"malformed resource: an element has the wrong JSON type or shape ({detail})"
            self.errors.append(Issue("FHIR-IN", Severity.ERROR, message, where=item.where))
            return True
        return False

    def of_type(self, resource_type: str) -> list[Located]:
        """The resources of a type, in input order, from an index by type built once per `resources` list (mapping
        asks for each type several times; the index is built again when `resources` is replaced or grows)."""
        resources, cached = self.resources, self._by_type
        if cached is None or cached[0] is not resources or cached[1] != len(resources):
            by_type: dict[str, list[Located]] = {}
            for item in resources:
                by_type.setdefault(item.resource["resourceType"], []).append(item)
            cached = self._by_type = (resources, len(resources), by_type)
        return list(cached[2].get(resource_type, ()))

    def each(self, resource_type: str) -> Iterator[Located]:
        """The resources of a type, each marked `current` while the caller maps it."""
        for item in self.of_type(resource_type):
            self.current = item
            yield item

    def resolve(self, reference: Any, source: Located, element: str, *types: str) -> Located:
        """The resource a Reference points at (by `reference`, else by a logical `identifier` among the resources of
        `types`); an error naming `source` and `element` when it does not resolve or points at another type."""
        text = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(text, str) or not text:
            target = self.by_identifier(reference, types)
            if target is not None:
                self.referenced.add(id(target.resource))
                return target
            shown = _reference_shown(reference)
            raise source.fail(element, f"{shown} does not resolve to any resource of the input")
        target = _contained(source, text) if text.startswith("#") else self.find(text)
        if target is None and "/" not in text and ":" not in text and len(types) == 1:
            target = self.find(f"{types[0]}/{text}")
            if target is not None:
                message = f"reference {text!r} is a bare id (FHIR wants '{types[0]}/{text}'): read as that"
                self.warn(source, element, message)
        if target is None:
            raise source.fail(element, f"reference {text!r} does not resolve to any resource of the input")
        if types and target.type not in types:
            raise source.fail(element, f"reference {text!r} points at a {target.type}, expected {' or '.join(types)}")
        self.referenced.add(id(target.resource))
        return target

    def by_identifier(self, reference: Any, types: tuple[str, ...]) -> Located | None:
        """The resource of `types` (any type when empty) whose identifier equals the Reference's logical identifier
        (system and value; value alone when the Reference gives no system)."""
        wanted = reference.get("identifier") if isinstance(reference, dict) else None
        if not isinstance(wanted, dict) or not wanted.get("value"):
            return None
        kind = reference.get("type") if isinstance(reference.get("type"), str) else None
        seen: set[int] = set()
        for item in self.index.values():
            if id(item) in seen or (types and item.type not in types) or (kind and item.type != kind):
                continue
            seen.add(id(item))
            found = item.resource.get("identifier")
            for identifier in found if isinstance(found, list) else [found] if isinstance(found, dict) else []:
                if not isinstance(identifier, dict) or identifier.get("value") != wanted["value"]:
                    continue
                if wanted.get("system") in (None, identifier.get("system")):
                    return item
        return None

    def find(self, text: str) -> Located | None:
        found = self.index.get(text)
        if found is not None:
            return found
        head, marker, _ = text.partition("/_history/")
        if marker:
            return self.find(head)
        parts = text.rstrip("/").split("/")
        if len(parts) > 2:
            return self.index.get("/".join(parts[-2:]))
        return None


class _Attempt:
    """The context manager of `FhirInput.attempt` (a class: it runs once per resource, and a generator-based
    context manager costs several times more per use)."""

    __slots__ = ("fhir", "item")

    def __init__(self, fhir: FhirInput, item: Located) -> None:
        self.fhir, self.item = fhir, item

    def __enter__(self) -> None:
        self.fhir.current = self.item

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, trace: object) -> bool:
        return exc is not None and self.fhir.recorded(self.item, exc)


def _contained(source: Located, text: str) -> Located | None:
    """The contained resource `#id` of `source`."""
    for resource in source.resource.get("contained") or []:
        if isinstance(resource, dict) and resource.get("id") == text[1:] and resource.get("resourceType"):
            return Located(resource, f"{source.where} contained {text}", source.origin)
    return None


def _reference_shown(reference: Any) -> str:
    """How an unresolvable Reference without a `reference` string is named in a message."""
    if not isinstance(reference, dict):
        return f"Reference {reference!r}"
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return f"Reference by identifier {identifier.get('system') or ''}|{identifier['value']}"
    if reference.get("display"):
        return f"Reference with only a display ({reference['display']!r})"
    return "an empty Reference"


def is_fhir_source(path: Path) -> bool:
    """A `.json` file, or a folder holding `*.ndjson` files and no records study definition (`study.yaml`)."""
    if path.is_dir():
        records = any((path / name).exists() for name in ("study.yaml", "study.yml", "study.json"))
        return not records and any(path.glob("*.ndjson"))
    return path.suffix.lower() == ".json"


def read_fhir(source: str | Path, *, version: str = "auto") -> FhirInput:
    """Parse, check and index the FHIR input at `source`; `version` is 'auto', 'R4' or 'R5'."""
    path = Path(source)
    if not path.exists():
        raise fail("FHIR input not found", where=str(path))
    located = list(_read_ndjson_folder(path) if path.is_dir() else _read_bundle(path))
    if not located:
        raise fail("no FHIR resources found", where=str(path))
    chosen = detect_version(located, version)
    index: dict[str, Located] = {}
    kept: list[Located] = []
    for item in located:
        if item.type not in READ_TYPES:
            continue
        key = f"{item.type}/{item.resource.get('id')}"
        if "id" in item.resource and key in index:
            raise item.fail("id", f"duplicate resource {key} (also at {index[key].where})")
        if "id" in item.resource:
            index[key] = item
        full_url = getattr(item, "full_url", None)
        if full_url:
            index[full_url] = item
        kept.append(item)
    return FhirInput(path, chosen, kept, index)


@dataclass(frozen=True, slots=True, eq=False)
class _BundleEntry(Located):
    full_url: str | None = None


def _read_bundle(path: Path) -> Iterator[Located]:
    size = path.stat().st_size
    if size > MAX_BUNDLE_BYTES:
        raise fail(
            f"Bundle of {size} bytes is over the {MAX_BUNDLE_BYTES}-byte limit; export large trials as NDJSON",
            where=str(path),
        )
    with path.open("rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=str(path)) from None
    except RecursionError:
        raise fail(NESTED, where=str(path)) from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        kind = document.get("resourceType") if isinstance(document, dict) else f"a JSON {type(document).__name__}"
        found = repr(kind) if isinstance(kind, str) else (kind or "JSON without a resourceType")
        raise fail(f"expected a FHIR Bundle, found {found}", where=str(path), element="resourceType")
    bundle_type = document.get("type")
    if bundle_type not in BUNDLE_TYPES:
        raise fail(
            f"Bundle.type {bundle_type!r} holds no trial data to read (expected one of {', '.join(BUNDLE_TYPES)})",
            where=str(path),
            element="Bundle.type",
        )
    entries = document.get("entry")
    if not isinstance(entries, list) or not entries:
        raise fail("the Bundle has no entries", where=str(path), element="Bundle.entry")
    for number, item in enumerate(entries):
        place = f"{path.name} entry[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("resource"), dict):
            raise fail("entry without a resource", where=place, element="Bundle.entry.resource")
        resource = item["resource"]
        _require_resource_shape(resource, place, need_id=False)
        where = f"{place} ({resource['resourceType']}/{resource.get('id', '?')})"
        full_url = item.get("fullUrl")
        if full_url is not None and not isinstance(full_url, str):
            raise fail("fullUrl must be a string", where=where, element="Bundle.entry.fullUrl")
        yield _BundleEntry(resource, where, Origin(path.name, number + 1), full_url)


def _read_ndjson_folder(folder: Path) -> Iterator[Located]:
    return (line_resource(resource, name, number) for resource, name, number, _ in ndjson_entries(folder))


def ndjson_entries(folder: Path) -> Iterator[tuple[dict[str, Any], str, int, bytes]]:
    """Each resource of an NDJSON folder as (resource, file name, line number, line), checked as `ndjson_line` checks
    it but without its `Located` (the grouping pass keeps most lines, not resources, and places few by themselves)."""
    files = sorted(folder.glob("*.ndjson"))
    if not files:
        raise fail("folder holds no *.ndjson files (expected a FHIR NDJSON export)", where=str(folder))
    for path in files:
        name = sys.intern(path.name)  # one string for the origin of every record read from the file
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                resource = checked_resource(line, name, number)
                if resource is not None:
                    yield resource, name, number, line


def ndjson_line(line: bytes, name: str, number: int) -> Located | None:
    """The resource on line `number` of the NDJSON file `name` (None for a blank line); InputError naming the line.
    Shared by this reader and the Spark engine's partition reader (trialinterop.spark.ndjson)."""
    resource = checked_resource(line, name, number)
    return None if resource is None else line_resource(resource, name, number)


def checked_resource(line: bytes, name: str, number: int) -> dict[str, Any] | None:
    """The parsed resource of `ndjson_line`, without its `Located`."""
    if len(line) > MAX_NDJSON_LINE_BYTES:
        raise fail(f"line longer than {MAX_NDJSON_LINE_BYTES} bytes", where=f"{name}:{number}")
    if not line.strip():
        return None
    try:
        resource = _fast_loads(line)
        if resource is None:
            resource = json.loads(line.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (byte {exc.start})", where=f"{name}:{number}") from None
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc.msg} at column {exc.colno}", where=f"{name}:{number}") from None
    except RecursionError:
        raise fail(NESTED, where=f"{name}:{number}") from None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    common = isinstance(kind, str) and kind in READ_TYPES and isinstance(resource.get("id"), str) and resource["id"]
    if not common:  # anything else takes the full check, with its messages
        _require_resource_shape(resource, f"{name}:{number}", need_id=True)
    return resource


def parsed_again(line: bytes, name: str, number: int) -> Located:
    """A line `ndjson_line` accepted before (the same bytes), parsed again without its checks: the grouping pass
    keeps lines, not resources, and parses each a second time when its subject's group is mapped."""
    resource = _fast_loads(line)
    if resource is None:  # orjson missing, or a byte-order mark: the checked path, which gives the same resource
        item = ndjson_line(line, name, number)
        assert item is not None  # blank lines are never kept
        return item
    return line_resource(resource, name, number)


def line_resource(resource: dict[str, Any], name: str, number: int) -> Located:
    """Line `number` of NDJSON file `name`, parsed: placed as `Observation.ndjson:7 (Observation/abc)`."""
    where = f"{name}:{number} ({resource['resourceType']}/{resource['id']})"
    return _new_located(resource, where, _new_origin(name, number))


def _fast_loads(line: bytes) -> Any:
    """orjson's parse of a line (a project dependency, several times faster than `json` here); None when orjson is
    missing or refuses the line, so that `json` parses it again and reports the problem in its own words (byte and
    column, nesting) as before."""
    if orjson is None or line.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def _require_resource_shape(resource: Any, place: str, *, need_id: bool) -> None:
    if not isinstance(resource, dict):
        raise fail("expected a JSON object (a FHIR resource)", where=place)
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise fail("resource without a resourceType", where=place, element="resourceType")
    if kind not in READ_TYPES and not _is_fhir_type(kind):
        raise fail(f"unknown resourceType {kind!r}", where=place, element="resourceType")
    rid = resource.get("id")
    if (need_id or rid is not None) and (not isinstance(rid, str) or not rid):
        raise fail(f"{kind} without an id", where=place, element=f"{kind}.id")


def _is_fhir_type(kind: str) -> bool:
    """A resource type of R5 or R4B as modelled by fhir.resources (module per type)."""
    if not kind.isalnum() or not kind[0].isupper():
        return False
    for package in ("fhir.resources", "fhir.resources.R4B"):
        try:
            if importlib.util.find_spec(f"{package}.{kind.lower()}") is not None:
                return True
        except ModuleNotFoundError:
            continue
    return False


def detect_version(resources: list[Located], requested: str = "auto") -> str:
    """'R4' or 'R5' from elements that only one release has; with `requested` set, any resource of the other release
    is an error naming it and the element that gives it away. Input without any telling element is read as R4."""
    wanted = requested.upper()
    if wanted not in ("AUTO", "R4", "R5"):
        raise fail(f"unknown FHIR version {requested!r}: choose auto, R4 or R5")
    version, reason = (None, "") if wanted == "AUTO" else (wanted, f"--fhir-version {wanted}")
    for item in resources:
        shown = _release_of(item)
        if shown is None:
            continue
        found, element = shown
        if version is None:
            version, reason = found, f"{item.where} has {item.type}.{element}"
        elif found != version:
            raise item.fail(
                f"{item.type}.{element}", f"{found} element in {version} input ({reason}); one input holds one release"
            )
    return version or "R4"


_TELLING = {
    kind: tuple((version, element) for version, table in VERSION_ONLY.items() for element in table.get(kind, ()))
    for kind in {kind for table in VERSION_ONLY.values() for kind in table}
}
"""resourceType -> (release, element) for each element only one release has, R4's first (one lookup a resource)."""


def _release_of(item: Located) -> tuple[str, str] | None:
    return release_shown(item.resource)


def release_shown(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(release, element) when the resource has an element of only one release, else None."""
    for version, element in _TELLING.get(resource["resourceType"], ()):
        if element in resource:
            return version, element
    return None
