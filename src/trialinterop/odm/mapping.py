"""ODM mapping files (`mappings/odm/<name>.yaml`): which ODM ItemGroup/Item feeds which records table and field.

One file per EDC export layout; the format, with vendor notes and worked examples, is `docs/odm-mapping.md`. The reader
uses it to turn ClinicalData into records rows, the writer to lay records out as ODM. Every key is checked on load
(unknown keys, tables, fields, row kinds, transforms and left-over TODO markers are errors naming the path).
Top level: description, strict, allow_dropped, studies, subject_key, sites, study_events, unscheduled_event,
incomplete, ignore, item_groups, findings. Item groups named `@SubjectData`, `@StudyEventData` and `@FormData` hold
the vendor attributes of those elements (`OpenClinica:DateOfBirth`, `mdsol:SubjectName`, `redcap:...`) as items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import yaml

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.odm.transforms import DateFormat, Transform
from trialinterop.source.schema import generic_tables

ROW_KINDS = ("subject", "event", "group")
REPEAT_POLICIES = ("error", "unscheduled", "visits", "records")
ATTRIBUTE_GROUPS = ("@SubjectData", "@StudyEventData", "@FormData")
INCOMPLETE_POLICIES = ("error", "skip_row", "skip_subject")
CONTEXT_PATH = (
    "SubjectKey",
    "StudyEventOID",
    "StudyEventRepeatKey",
    "FormOID",
    "FormRepeatKey",
    "ItemGroupOID",
    "ItemGroupRepeatKey",
)
"""The ODM attributes that place an item group in the clinical data, outermost first."""
CONTEXT_KEYS = (*CONTEXT_PATH, "Sequence")
_TOP_KEYS = {
    "description",
    "strict",
    "allow_dropped",
    "studies",
    "subject_key",
    "sites",
    "study_events",
    "unscheduled_event",
    "incomplete",
    "ignore",
    "item_groups",
    "findings",
}
FINDING_FIELDS = ("datetime", "timepoint", "status", "reason_not_done", "position")
_FINDING_KEYS = {"instrument", "form", "fields", "tests", "references"}
_GROUP_KEYS = {"table", "row", "form", "study_event", "defaults", "context", "items", "events"}
_ITEM_KEYS = {"field", "values", "list", "regex", "replace", "unit", "split", "date", "constant"}
_EVENT_KEYS = {"visit", "visits", "repeats", "arm", "unscheduled_reason"}
_SUBJECT_KEY_KEYS = {"pattern", "replace", "attribute", "item"}


@dataclass(frozen=True, slots=True)
class ItemTarget:
    """One field fed by an item; `values` translates collected codes (None in the map = no value)."""

    field: str
    values: dict[str, str | None] | None = None
    list: bool = False
    transform: Transform = _field(default_factory=Transform)


@dataclass(frozen=True, slots=True)
class EventRule:
    """How the instances of one study event become visits: the planned `visit`, or per instance `visits` (the k-th
    StudyEventRepeatKey is the k-th number); `repeats` says what a second instance is (error, unscheduled: VISITNUM
    visit + k/100 per SDTMIG, records: the same visit, each instance its own records); `arm`: subjects with data in
    the event were assigned this arm (REDCap longitudinal projects have one event per arm)."""

    visit: float | None
    visits: tuple[float, ...] = ()
    repeats: str = "error"
    arm: str | None = None
    unscheduled_reason: str | None = None  # unplanned_description of the unscheduled repeats


@dataclass(frozen=True, slots=True)
class GroupMap:
    oid: str
    table: str
    row: str
    form: str | None
    study_event: str | None
    defaults: dict[str, str]
    context: dict[str, str]
    items: dict[str, tuple[ItemTarget, ...]]
    events: frozenset[str] | None = None  # the StudyEventOIDs it applies in (None: every event)


@dataclass(frozen=True, slots=True)
class FindingsMap:
    """One item group of findings: group-level fields (field -> ItemOID), results and references (ItemOID -> testcd)."""

    oid: str
    instrument: str
    form: str | None
    fields: dict[str, str]
    tests: dict[str, str]
    references: dict[str, str]

    @property
    def items(self) -> frozenset[str]:
        return frozenset(self.fields.values()) | frozenset(self.tests) | frozenset(self.references)


@dataclass(frozen=True, slots=True)
class OdmMapping:
    path: str
    description: str
    strict: bool
    subject_pattern: str | None
    subject_replace: str | None
    sites: dict[str, str]
    study_events: dict[str, float]
    unscheduled_event: str | None
    incomplete: str
    ignore_groups: frozenset[str]
    ignore_items: frozenset[str]
    groups: dict[str, tuple[GroupMap, ...]] = field(default_factory=dict)
    findings: dict[str, FindingsMap] = field(default_factory=dict)
    allow_dropped: bool = False
    studies: dict[str, str | None] = field(default_factory=dict)  # StudyOID -> site id (None: not a site study)
    subject_attribute: str | None = None  # SubjectData attribute holding the subject number (e.g. mdsol:SubjectName)
    subject_item: str | None = None  # ItemOID holding the subject number
    events: dict[str, EventRule] = field(default_factory=dict)

    def groups_for(self, table: str) -> list[GroupMap]:
        return [g for maps in self.groups.values() for g in maps if g.table == table]

    def maps_of(self, group_oid: str, event: str) -> tuple[GroupMap, ...]:
        """The table mappings of an item group that apply in a study event."""
        return tuple(g for g in self.groups.get(group_oid, ()) if g.events is None or event in g.events)

    def items_of(self, group_oid: str, event: str) -> frozenset[str]:
        """Every ItemOID the mapping reads in this item group and study event (all its tables, or its findings)."""
        found = frozenset(oid for g in self.maps_of(group_oid, event) for oid in g.items)
        if group_oid in self.findings:
            found |= self.findings[group_oid].items
        return found


def load_mapping(path: str | Path) -> OdmMapping:
    """Read and check a mapping file; InputError listing every problem (path inside the file, reason)."""
    path = Path(path)
    name = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError([_issue(name, "", f"cannot read: {exc.strerror or exc}")], summary="bad ODM mapping") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError([_issue(name, "", f"not valid YAML: {exc}")], summary="bad ODM mapping") from None
    problems: list[Issue] = [
        _issue(name, at, "TODO marker left (odm-inspect --scaffold): replace it or remove the entry", text)
        for at, text in _todos(doc, "")
    ]
    if problems:
        raise InputError(problems, summary=f"unfinished ODM mapping {name}")
    try:
        mapping = _build(name, doc, problems)
    except ValueError as exc:
        raise InputError([_issue(name, "", str(exc))], summary=f"invalid ODM mapping {name}") from None
    if problems or mapping is None:
        raise InputError(problems, summary=f"invalid ODM mapping {name}")
    return mapping


def _todos(node: Any, at: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(at or "(root)", node)] if node.startswith("TODO") else []
    if isinstance(node, dict):
        return [hit for k, v in node.items() for hit in _todos(v, f"{at}/{k}".lstrip("/"))] + [
            (f"{at}/{k}".lstrip("/"), str(k)) for k in node if isinstance(k, str) and k.startswith("TODO")
        ]
    if isinstance(node, list):
        return [hit for i, v in enumerate(node) for hit in _todos(v, f"{at}/{i}")]
    return []


def _issue(where: str, key: str, message: str, value: str = "") -> Issue:
    return Issue("ODM-MAP", Severity.ERROR, message, where=where, key=key, value=value)


def _build(name: str, doc: Any, problems: list[Issue]) -> OdmMapping | None:
    if not isinstance(doc, dict):
        problems.append(_issue(name, "(root)", "must be a mapping of keys"))
        return None
    for key in sorted(set(doc) - _TOP_KEYS):
        problems.append(_issue(name, key, "unknown key"))
    tables = generic_tables()
    subject_key = doc.get("subject_key") or {}
    if not isinstance(subject_key, dict) or set(subject_key) - _SUBJECT_KEY_KEYS:
        problems.append(_issue(name, "subject_key", f"may only hold {', '.join(sorted(_SUBJECT_KEY_KEYS))}"))
        subject_key = {}
    if subject_key.get("attribute") and subject_key.get("item"):
        problems.append(_issue(name, "subject_key", "the subject number comes from 'attribute' or 'item', not both"))
    if subject_key.get("pattern"):
        try:
            re.compile(subject_key["pattern"])
        except re.error as exc:
            problems.append(_issue(name, "subject_key/pattern", f"not a regular expression: {exc}"))
    studies: dict[str, str | None] = {}
    raw_studies = doc.get("studies") or {}
    if not isinstance(raw_studies, dict):
        problems.append(_issue(name, "studies", "must map ClinicalData/@StudyOID -> {site: SITE_ID} or {}"))
        raw_studies = {}
    for oid, spec in raw_studies.items():
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - {"site"}:
            problems.append(_issue(name, f"studies/{oid}", "must be {} or {site: SITE_ID}"))
            continue
        studies[str(oid)] = None if spec.get("site") is None else _text(spec["site"])
    incomplete = doc.get("incomplete", "error")
    if incomplete not in INCOMPLETE_POLICIES:
        problems.append(_issue(name, "incomplete", f"must be one of {', '.join(INCOMPLETE_POLICIES)}", str(incomplete)))
    study_events: dict[str, float] = {}
    events: dict[str, EventRule] = {}
    for oid, num in (doc.get("study_events") or {}).items():
        rule = _event(name, str(oid), num, problems)
        if rule is not None:
            events[str(oid)] = rule
            if rule.visit is not None:
                study_events[str(oid)] = rule.visit
    ignore = doc.get("ignore") or {}
    if not isinstance(ignore, dict) or set(ignore) - {"item_groups", "items"}:
        problems.append(_issue(name, "ignore", "may only hold 'item_groups' and 'items'"))
        ignore = {}
    groups: dict[str, tuple[GroupMap, ...]] = {}
    raw_groups = doc.get("item_groups")
    raw_findings = doc.get("findings") or {}
    if not isinstance(raw_findings, dict):
        problems.append(_issue(name, "findings", "must map ItemGroupOID -> findings group"))
        raw_findings = {}
    if not isinstance(raw_groups, dict) or not (raw_groups or raw_findings):
        problems.append(_issue(name, "item_groups", "required: at least one item group"))
        raw_groups = {}
    findings = {}
    for oid, spec in raw_findings.items():
        found = _findings(name, str(oid), spec, problems)
        if found is not None:
            findings[found.oid] = found
    for oid, spec in raw_groups.items():
        specs = spec if isinstance(spec, list) else [spec]
        built_maps = tuple(g for g in (_group(name, str(oid), one, tables, problems) for one in specs) if g is not None)
        if len({g.table for g in built_maps}) < len(built_maps):
            problems.append(_issue(name, f"item_groups/{oid}", "feeds the same table twice"))
        if built_maps:
            groups[str(oid)] = built_maps
        if str(oid) in findings:
            problems.append(_issue(name, f"item_groups/{oid}", "is also under findings"))
    return OdmMapping(
        path=name,
        description=str(doc.get("description", "")),
        strict=bool(doc.get("strict", True)),
        subject_pattern=subject_key.get("pattern"),
        subject_replace=subject_key.get("replace"),
        sites={str(k): str(v) for k, v in (doc.get("sites") or {}).items()},
        study_events=study_events,
        unscheduled_event=doc.get("unscheduled_event"),
        incomplete=incomplete,
        ignore_groups=frozenset(str(x) for x in ignore.get("item_groups") or ()),
        ignore_items=frozenset(str(x) for x in ignore.get("items") or ()),
        groups=groups,
        findings=findings,
        allow_dropped=_flag(name, "allow_dropped", doc.get("allow_dropped", False), problems),
        studies=studies,
        subject_attribute=subject_key.get("attribute"),
        subject_item=subject_key.get("item"),
        events=events,
    )


def _flag(name: str, key: str, value: Any, problems: list[Issue]) -> bool:
    if not isinstance(value, bool):
        problems.append(_issue(name, key, "must be true or false", str(value)))
        return False
    return value


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)


def _event(name: str, oid: str, spec: Any, problems: list[Issue]) -> EventRule | None:
    at = f"study_events/{oid}"
    if not isinstance(spec, dict):
        if _number(spec) is None:
            problems.append(_issue(name, at, "visit number must be a number", str(spec)))
            return None
        return EventRule(_number(spec))
    for key in sorted(set(spec) - _EVENT_KEYS):
        problems.append(_issue(name, f"{at}/{key}", f"unknown key (one of {', '.join(sorted(_EVENT_KEYS))})"))
    visit = _number(spec.get("visit"))
    if spec.get("visit") is not None and visit is None:
        problems.append(_issue(name, f"{at}/visit", "visit number must be a number", str(spec.get("visit"))))
    raw_visits = spec.get("visits") or []
    numbers = [_number(x) for x in raw_visits] if isinstance(raw_visits, list) else [None]
    visits = tuple(v for v in numbers if v is not None)
    if len(visits) != len(numbers):
        problems.append(_issue(name, f"{at}/visits", "must be a list of visit numbers"))
    repeats = spec.get("repeats", "visits" if visits else "error")
    if repeats not in REPEAT_POLICIES:
        problems.append(_issue(name, f"{at}/repeats", f"must be one of {', '.join(REPEAT_POLICIES)}", str(repeats)))
    if repeats == "visits" and not visits:
        problems.append(_issue(name, f"{at}/visits", "repeats: visits needs the list of visit numbers"))
    if repeats in ("unscheduled", "records") and visit is None:
        problems.append(_issue(name, f"{at}/visit", f"repeats: {repeats} needs the planned visit number"))
    arm = spec.get("arm")
    reason = spec.get("unscheduled_reason")
    return EventRule(visit if visit is not None else (visits[0] if visits else None), visits, str(repeats),
                     None if arm is None else str(arm), None if reason is None else str(reason))  # fmt: skip


def _findings(name: str, oid: str, spec: Any, problems: list[Issue]) -> FindingsMap | None:
    at = f"findings/{oid}"
    if not isinstance(spec, dict):
        problems.append(_issue(name, at, "must be a mapping"))
        return None
    for key in sorted(set(spec) - _FINDING_KEYS):
        problems.append(_issue(name, f"{at}/{key}", "unknown key"))
    if not isinstance(spec.get("instrument"), str):
        problems.append(_issue(name, f"{at}/instrument", "required: an instrument code of the study definition"))
        return None
    parts = {}
    for key in ("fields", "tests", "references"):
        value = spec.get(key) or {}
        if not isinstance(value, dict):
            problems.append(_issue(name, f"{at}/{key}", "must be a mapping"))
            value = {}
        parts[key] = {str(k): str(v) for k, v in value.items()}
    for fname in parts["fields"]:
        if fname not in FINDING_FIELDS:
            problems.append(_issue(name, f"{at}/fields/{fname}", f"must be one of {', '.join(FINDING_FIELDS)}"))
    if not parts["tests"]:
        problems.append(_issue(name, f"{at}/tests", "required: at least one ItemOID -> testcd"))
    return FindingsMap(oid, spec["instrument"], spec.get("form"), parts["fields"], parts["tests"], parts["references"])


def _group(name: str, oid: str, spec: Any, tables: dict, problems: list[Issue]) -> GroupMap | None:
    at = f"item_groups/{oid}"
    if not isinstance(spec, dict):
        problems.append(_issue(name, at, "must be a mapping"))
        return None
    for key in sorted(set(spec) - _GROUP_KEYS):
        problems.append(_issue(name, f"{at}/{key}", "unknown key"))
    table = spec.get("table")
    if not isinstance(table, str) or table not in tables:  # the schema's tables are named by str
        problems.append(_issue(name, f"{at}/table", f"unknown table (one of {', '.join(tables)})", str(table)))
        return None
    columns = set(tables[table].columns)
    row = spec.get("row", "group")
    if row not in ROW_KINDS:
        problems.append(_issue(name, f"{at}/row", f"must be one of {', '.join(ROW_KINDS)}", str(row)))
    defaults = {str(k): _text(v) for k, v in (spec.get("defaults") or {}).items()}
    for f in defaults:
        if f not in columns:
            problems.append(_issue(name, f"{at}/defaults/{f}", f"not a column of {table}"))
    context = {str(k): str(v) for k, v in (spec.get("context") or {}).items()}
    for f, key in context.items():
        if f not in columns:
            problems.append(_issue(name, f"{at}/context/{f}", f"not a column of {table}"))
        if key not in CONTEXT_KEYS:
            problems.append(_issue(name, f"{at}/context/{f}", f"must be one of {', '.join(CONTEXT_KEYS)}", key))
    items: dict[str, tuple[ItemTarget, ...]] = {}
    for item_oid, targets in (spec.get("items") or {}).items():
        targets = targets if isinstance(targets, list) else [targets]
        built = []
        for target in targets:
            if isinstance(target, str):
                target = {"field": target}
            where = f"{at}/items/{item_oid}"
            if not isinstance(target, dict) or set(target) - _ITEM_KEYS:
                keys = ", ".join(sorted(_ITEM_KEYS))
                problems.append(_issue(name, where, f"must be a field name or a mapping of {keys}"))
                continue
            if target.get("field") not in columns and not (table == "subjects.csv" and _attribute(target.get("field"))):
                problems.append(_issue(name, where, f"not a column of {table}", str(target.get("field"))))
                continue
            values = target.get("values")
            if values is not None and not isinstance(values, dict):
                problems.append(_issue(name, f"{where}/values", "must map collected value -> records value"))
                values = None
            transform = _transform(name, where, target, problems)
            built.append(
                ItemTarget(
                    field=target["field"],
                    values={_text(k): (None if v is None else _text(v)) for k, v in values.items()} if values else None,
                    list=bool(target.get("list", False)) or transform.split is not None,
                    transform=transform,
                )
            )
        items[str(item_oid)] = tuple(built)
    events = spec.get("events")
    if events is not None and (not isinstance(events, list) or not events):
        problems.append(_issue(name, f"{at}/events", "must be a list of StudyEventOIDs"))
        events = None
    return GroupMap(
        events=None if events is None else frozenset(str(e) for e in events),
        oid=oid,
        table=table,
        row=row,
        form=spec.get("form"),
        study_event=spec.get("study_event"),
        defaults=defaults,
        context=context,
        items=items,
    )


def _transform(name: str, where: str, target: dict, problems: list[Issue]) -> Transform:
    regex = None
    if target.get("regex") is not None:
        try:
            regex = re.compile(str(target["regex"]))
        except re.error as exc:
            problems.append(_issue(name, f"{where}/regex", f"not a regular expression: {exc}", str(target["regex"])))
    elif target.get("replace") is not None:
        problems.append(_issue(name, f"{where}/replace", "needs 'regex'"))
    raw_dates = target.get("date")
    dates = []
    for text in [raw_dates] if isinstance(raw_dates, str) else raw_dates or []:
        try:
            dates.append(DateFormat.parse(str(text)))
        except ValueError as exc:
            problems.append(_issue(name, f"{where}/date", str(exc), str(text)))
    for key in ("unit", "split", "constant", "replace"):
        if target.get(key) is not None and not isinstance(target[key], str | int | float):
            problems.append(_issue(name, f"{where}/{key}", "must be text"))
    return Transform(
        regex=regex,
        replace=None if target.get("replace") is None else str(target["replace"]),
        unit=None if target.get("unit") is None else str(target["unit"]),
        split=None if target.get("split") is None else str(target["split"]),
        dates=tuple(dates),
        constant=None if target.get("constant") is None else _text(target["constant"]),
    )


def _attribute(name: Any) -> bool:
    """A subjects.csv field that is no column names a subject attribute (checked against the definition on read)."""
    return isinstance(name, str) and name.isidentifier() and name == name.lower()


def _text(value: Any) -> str:
    """YAML scalars as the text an ODM Value would hold; YAML booleans (unquoted Yes/No/On/Off) are refused."""
    if isinstance(value, bool):
        raise ValueError(f"unquoted YAML boolean {value!r}: quote values such as 'Yes', 'No', 'On', 'Off'")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
