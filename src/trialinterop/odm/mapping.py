"""ODM mapping files (`mappings/odm/<name>.yaml`): which ODM ItemGroup/Item feeds which records table and field.

One file per EDC export layout. The reader uses it to turn ClinicalData into records rows, the writer to lay records
out as ODM. Shape (every key checked on load; unknown keys, tables, fields or row kinds are errors naming the path):

    description: free text
    strict: true                  # unknown ItemGroupOID/ItemOID in the data is an error (else it is skipped)
    subject_key: {pattern: '^SS_0*(\\d+)$', replace: '01-\\1'}   # optional SubjectKey -> subject_id rewrite
    sites: {LOC.01: "01"}         # SiteRef/@LocationOID -> site_id
    study_events: {SE.SCREENING: 1}   # StudyEventOID -> visit_num (tables with a visit_num column)
    unscheduled_event: SE.UNSCHEDULED # writer: study event for visit numbers not in study_events
    incomplete: error             # or skip_row: drop (and report) rows missing a required field (a dropped subject
                                  # takes its other rows along); skip_subject: drop the whole subject of such a row
    ignore: {item_groups: [...], items: [...]}
    item_groups:
      IG.DM:
        table: subjects.csv
        row: subject              # subject | event | group: what makes one row
        form: F.DM                # writer placement; the reader accepts the group in any form
        study_event: SE.SCREENING # writer placement for row kinds subject and group
        defaults: {enrolled: Y}   # field values used when no item supplies one
        context: {ae_id: ItemGroupRepeatKey}   # fields taken from ODM keys
        items:
          IT.SEX: {field: sex, values: {Male: M, Female: F}}    # values: code-list translation (null = no value)
          IT.AETOXGR: [{field: ctcae_grade, values: {...}}, {field: severity, values: {...}}]
          IT.RACE_W: {field: race, list: true, values: {"1": WHITE, "0": null}}  # several items -> one list field
          IT.DM.SEVERITY: severity_group   # a subjects.csv field that is no column: a subject attribute of the study
    findings:                     # item groups of findings: one group row unpivots into one Finding per test
      IG.FVC:
        instrument: FVC           # instrument code of the study definition
        form: F.FVC               # writer placement; the visit is the study event
        fields: {datetime: IT.FVC.DATETIME, position: IT.FVC.POSITION, reason_not_done: IT.FVC.ND_REASON}
        tests: {IT.FVC.FVC_L: FVC, IT.FVC.FVCPP: FVCPP}       # ItemOID -> testcd (its result)
        references: {IT.FVC.PREDICTED_L: FVC}                 # ItemOID -> testcd (its reference_result)
  A records table without an item group (e.g. no concomitant medication or medical history form) reads as empty;
  ItemGroupData of a group the mapping does not name is an error when `strict` (else skipped), unless ignored.
  A group's `fields` hold for every test of the group; a test without a result is NOT DONE (with the group's
  reason) when the group has a reason or status, unless it is a total (`total_of`: derived). A result's unit is the
  test's unit in the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.source.schema import generic_tables

ROW_KINDS = ("subject", "event", "group")
INCOMPLETE_POLICIES = ("error", "skip_row", "skip_subject")
CONTEXT_KEYS = (
    "SubjectKey",
    "StudyEventOID",
    "StudyEventRepeatKey",
    "FormOID",
    "FormRepeatKey",
    "ItemGroupOID",
    "ItemGroupRepeatKey",
)
_TOP_KEYS = {
    "description",
    "strict",
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
_GROUP_KEYS = {"table", "row", "form", "study_event", "defaults", "context", "items"}
_ITEM_KEYS = {"field", "values", "list"}


@dataclass(frozen=True, slots=True)
class ItemTarget:
    """One field fed by an item; `values` translates collected codes (None in the map = no value)."""

    field: str
    values: dict[str, str | None] | None = None
    list: bool = False


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
    groups: dict[str, GroupMap] = field(default_factory=dict)
    findings: dict[str, FindingsMap] = field(default_factory=dict)

    def groups_for(self, table: str) -> list[GroupMap]:
        return [g for g in self.groups.values() if g.table == table]


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
    problems: list[Issue] = []
    try:
        mapping = _build(name, doc, problems)
    except ValueError as exc:
        raise InputError([_issue(name, "", str(exc))], summary=f"invalid ODM mapping {name}") from None
    if problems or mapping is None:
        raise InputError(problems, summary=f"invalid ODM mapping {name}")
    return mapping


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
    if not isinstance(subject_key, dict) or set(subject_key) - {"pattern", "replace"}:
        problems.append(_issue(name, "subject_key", "must have only 'pattern' and 'replace'"))
        subject_key = {}
    incomplete = doc.get("incomplete", "error")
    if incomplete not in INCOMPLETE_POLICIES:
        problems.append(_issue(name, "incomplete", f"must be one of {', '.join(INCOMPLETE_POLICIES)}", str(incomplete)))
    study_events: dict[str, float] = {}
    for oid, num in (doc.get("study_events") or {}).items():
        if isinstance(num, bool) or not isinstance(num, int | float):
            problems.append(_issue(name, f"study_events/{oid}", "visit number must be a number", str(num)))
        else:
            study_events[str(oid)] = float(num)
    ignore = doc.get("ignore") or {}
    if not isinstance(ignore, dict) or set(ignore) - {"item_groups", "items"}:
        problems.append(_issue(name, "ignore", "may only hold 'item_groups' and 'items'"))
        ignore = {}
    groups: dict[str, GroupMap] = {}
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
        group = _group(name, str(oid), spec, tables, problems)
        if group is not None:
            groups[group.oid] = group
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
    )


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
                problems.append(_issue(name, where, "must be a field name or {field, values, list}"))
                continue
            if target.get("field") not in columns and not (table == "subjects.csv" and _attribute(target.get("field"))):
                problems.append(_issue(name, where, f"not a column of {table}", str(target.get("field"))))
                continue
            values = target.get("values")
            if values is not None and not isinstance(values, dict):
                problems.append(_issue(name, f"{where}/values", "must map collected value -> records value"))
                values = None
            built.append(
                ItemTarget(
                    field=target["field"],
                    values={_text(k): (None if v is None else _text(v)) for k, v in values.items()} if values else None,
                    list=bool(target.get("list", False)),
                )
            )
        items[str(item_oid)] = tuple(built)
    return GroupMap(
        oid=oid,
        table=table,
        row=row,
        form=spec.get("form"),
        study_event=spec.get("study_event"),
        defaults=defaults,
        context=context,
        items=items,
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
