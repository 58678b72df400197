"""Replay an ODM 1.3.x ClinicalData in file order (ODM 1.3.2 section 2.10 and the vendors' documented behaviour).

A Snapshot and a transactional stream (Medidata Rave: Insert/Update/Upsert/Context/Remove, one subject in many
SubjectData blocks) read alike. An ItemData with a value sets it (the later value supersedes the earlier); only
`TransactionType="Remove"` or `IsNull="Yes"` clears one; an ItemData without a value (Rave's query, comment, review
and visibility records, audit trails) changes nothing. A Remove on a SubjectData, StudyEventData, FormData or
ItemGroupData deletes what it holds. Vendor attributes of SubjectData, StudyEventData and FormData (`OpenClinica:`,
`mdsol:`, `redcap:`) are collected values too, as items of the pseudo item groups `@SubjectData`, ...; foreign
elements are skipped. REDCap's FormData directly under SubjectData (no StudyEventData) is accepted.

Checked here: the root, each ClinicalData/@StudyOID against the study (or the mapping's `studies`), a SubjectKey
repeated in a Snapshot, an export without subjects, and (when strict) OIDs the mapping does not know, reported once
each with their count. `odm.reader` turns the live values into records rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from trialinterop.definition import StudyDefinition
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.odm.coverage import Coverage
from trialinterop.odm.elements import local_name as _name
from trialinterop.odm.elements import vendor_attributes
from trialinterop.odm.mapping import ATTRIBUTE_GROUPS, CONTEXT_PATH, OdmMapping

CTX_KEYS = CONTEXT_PATH
KEY_ATTRS = (*CONTEXT_PATH, "ItemOID")


@dataclass(slots=True)
class ItemValue:
    """One collected value; `fate` once it is no longer live, `rows` the records rows (table.field) it fed."""

    text: str
    line: int
    location: str
    item_oid: str
    group_oid: str = ""
    fate: str = ""  # superseded | removed | not mapped | "" (live)
    rows: list[tuple[Any, str]] = field(default_factory=list)  # where it went: (row, table.field)
    decoded_empty: bool = False


@dataclass(slots=True)
class GroupData:
    """The live values of one ItemGroupData instance (or a pseudo group of vendor attributes)."""

    ctx: dict[str, str]
    line: int
    location: str
    items: dict[str, ItemValue] = field(default_factory=dict)


@dataclass(slots=True)
class SubjectState:
    """What the replay learnt about a subject beyond its items: site, subject number, arms its events imply."""

    key: str
    line: int
    location: str
    site: str | None = None
    site_line: int = 0
    study_site: str | None = None
    number: ItemValue | None = None
    arms: dict[str, int] = field(default_factory=dict)  # arm code -> line of the first event that implies it


class Replay:
    """ClinicalData replayed in file order into item groups of live values; every collected value kept for the
    coverage, every problem in `problems`."""

    def __init__(self, file: str, mapping: OdmMapping, definition: StudyDefinition) -> None:
        self.file, self.mapping, self.definition = file, mapping, definition
        self.problems: list[Issue] = []
        self.subjects: dict[str, SubjectState] = {}
        self.groups: dict[tuple[str, ...], GroupData] = {}
        self.values: list[ItemValue] = []
        self.coverage = Coverage(file)
        self.unmapped: dict[tuple[str, str], list[Any]] = {}  # (group, item or "") -> [count, first line, location]
        self.instances: dict[tuple[str, str], list[str]] = {}  # (subject, event) -> repeat keys in order
        self.known: dict[tuple[str, str], frozenset[str]] = {}  # (group, event) -> ItemOIDs the mapping reads

    def error(self, line: int | None, location: str, message: str, *, field: str = "", value: str = "") -> None:
        key = f"line {line}" if line else ""
        self.problems.append(
            Issue("ODM", Severity.ERROR, f"{location}: {message}", where=self.file, key=key, field=field, value=value)
        )

    def fail(self) -> None:
        if self.problems:
            raise InputError(self.problems, summary=f"invalid ODM data in {self.file}")

    # --- replay ClinicalData --------------------------------------------------------------------------------------

    def replay(self, tree: etree._ElementTree) -> None:
        """Replay every ClinicalData; InputError when anything is wrong (all problems listed)."""
        root = tree.getroot()
        if _name(root) != "ODM":
            self.error(line_of(root), "/" + segment(root), "the root element is not ODM")
            raise InputError(self.problems, summary=f"invalid ODM file {self.file}")
        clinical = [el for el in root if _name(el) == "ClinicalData"]
        if not clinical:
            self.error(line_of(root), "/ODM", "no ClinicalData element")
        snapshot = root.get("FileType") == "Snapshot"
        allowed = self.mapping.studies or {
            oid: None for oid in (self.definition.study.id, f"ST.{self.definition.study.id}")
        }
        seen: dict[str, int] = {}
        any_subject = False
        for data in clinical:
            where = f"/ODM/{segment(data)}"
            study_oid = data.get("StudyOID", "")
            if study_oid not in allowed:
                message = f"StudyOID is not the study's ({self.definition.study.id}): name it under 'studies'"
                self.error(line_of(data), where, message, field="StudyOID", value=study_oid)
                continue
            for subject in data:
                if _name(subject) != "SubjectData":
                    continue
                any_subject = True
                key = subject.get("SubjectKey", "")
                if snapshot and key and subject.get("TransactionType") != "Remove":
                    if key in seen:
                        message = f"SubjectKey {key!r} appears twice in a Snapshot (first at line {seen[key]})"
                        at = f"{where}/{segment(subject)}"
                        self.error(line_of(subject), at, message, field="SubjectKey", value=key)
                        continue
                    seen[key] = line_of(subject)
                self._subject(subject, where, allowed[study_oid])
        self._unmapped_errors()
        if not any_subject and not self.problems:
            self.error(line_of(root), "/ODM", "the export holds no subjects (no SubjectData in any ClinicalData)")
        self.fail()

    def _collect(self, text: str | None, el: etree._Element, location: str, item_oid: str, group_oid: str) -> ItemValue:
        value = ItemValue((text or "").strip(), line_of(el), location, item_oid, group_oid)
        self.values.append(value)
        self.coverage.collected += 1
        return value

    def _subject(self, el: etree._Element, parent: str, study_site: str | None) -> None:
        location = f"{parent}/{segment(el)}"
        key = el.get("SubjectKey")
        if not key:
            self.error(line_of(el), location, "SubjectData without SubjectKey")
            return
        if el.get("TransactionType") == "Remove":
            self.subjects.pop(key, None)
            self._remove((key,))
            return
        subject = self.subjects.setdefault(key, SubjectState(key, line_of(el), location))
        if study_site is not None:
            subject.study_site = study_site
        ctx = dict.fromkeys(CTX_KEYS, "")
        ctx["SubjectKey"] = key
        self._attributes(el, ctx, location, "@SubjectData", subject)
        for child in el:
            name = _name(child)
            if name == "SiteRef":
                subject.site, subject.site_line = child.get("LocationOID"), line_of(child)
            elif name == "StudyEventData":
                self._event(child, ctx, location, subject)
            elif name == "FormData":  # REDCap classic projects: no StudyEventData
                self._form(child, ctx, location)

    def _attributes(
        self,
        el: etree._Element,
        ctx: dict[str, str],
        location: str,
        group_oid: str,
        subject: SubjectState | None = None,
    ) -> None:
        """Vendor (namespaced) attributes as the items of a pseudo item group; the subject number when mapped so."""
        items = list(vendor_attributes(el))
        if not items:
            return
        ctx = {**ctx, "ItemGroupOID": group_oid}
        for item_oid, text in items:
            if subject is not None and item_oid == self.mapping.subject_attribute:
                if subject.number is not None:
                    subject.number.fate = "superseded"
                subject.number = self._collect(text, el, f"{location}/@{item_oid}", item_oid, group_oid)
                continue
            self._item(ctx, el, f"{location}/@{item_oid}", item_oid, text, (line_of(el), location))

    def _event(self, el: etree._Element, ctx: dict[str, str], parent: str, subject: SubjectState) -> None:
        location = f"{parent}/{segment(el)}"
        oid = el.get("StudyEventOID", "")
        ctx = {**ctx, "StudyEventOID": oid, "StudyEventRepeatKey": el.get("StudyEventRepeatKey", "")}
        if el.get("TransactionType") == "Remove":
            self._remove(key_prefix(ctx, 3))
            return
        order = self.instances.setdefault((ctx["SubjectKey"], oid), [])
        if ctx["StudyEventRepeatKey"] not in order:
            order.append(ctx["StudyEventRepeatKey"])
        rule = self.mapping.events.get(oid)
        if rule is not None and rule.arm is not None:
            subject.arms.setdefault(rule.arm, line_of(el))
        self._attributes(el, ctx, location, "@StudyEventData")
        for child in el:
            if _name(child) == "FormData":
                self._form(child, ctx, location)

    def _form(self, el: etree._Element, ctx: dict[str, str], parent: str) -> None:
        location = f"{parent}/{segment(el)}"
        ctx = {**ctx, "FormOID": el.get("FormOID", ""), "FormRepeatKey": el.get("FormRepeatKey", "")}
        if el.get("TransactionType") == "Remove":
            self._remove(key_prefix(ctx, 5))
            return
        self._attributes(el, ctx, location, "@FormData")
        for child in el:
            if _name(child) == "ItemGroupData":
                self._group(child, ctx, location)

    def _group(self, el: etree._Element, ctx: dict[str, str], parent: str) -> None:
        location = f"{parent}/{segment(el)}"
        oid = el.get("ItemGroupOID", "")
        ctx = {**ctx, "ItemGroupOID": oid, "ItemGroupRepeatKey": el.get("ItemGroupRepeatKey", "")}
        if el.get("TransactionType") == "Remove":
            self._remove(key_prefix(ctx, 7))
            return
        if oid in self.mapping.groups or oid in self.mapping.findings:
            self.groups.setdefault(key_prefix(ctx, 7), GroupData(dict(ctx), line_of(el), location))
        elif self.mapping.strict and oid not in self.mapping.ignore_groups:
            entry = self.unmapped.setdefault((oid, ""), [0, line_of(el), location])
            entry[0] += 1
        for child in el:
            name = _name(child)
            if not name.startswith("ItemData"):
                continue
            item_oid = child.get("ItemOID", "")
            if child.get("TransactionType") == "Remove" or child.get("IsNull") == "Yes":
                self._clear(ctx, item_oid)
                continue
            text = child.get("Value") if name == "ItemData" else child.text
            if text is None or text.strip() == "":
                self.coverage.audit_only += 1  # no value: an audit, query or comment record changes nothing
                continue
            item_location = f"{location}/{segment(child)}"
            if item_oid == self.mapping.subject_item:
                subject = self.subjects[ctx["SubjectKey"]]
                if subject.number is not None:
                    subject.number.fate = "superseded"
                subject.number = self._collect(text, child, item_location, item_oid, oid)
                continue
            self._item(ctx, child, item_location, item_oid, text, (line_of(el), location))

    def _item(
        self, ctx: dict[str, str], el: etree._Element, location: str, item_oid: str, text: str, at: tuple[int, str]
    ) -> None:
        """One collected value: kept in its group when mapped, else counted (and an error when strict); `at` is the
        line and location of its (item) group."""
        group_oid = ctx["ItemGroupOID"]
        value = self._collect(text, el, location, item_oid, group_oid)
        known = self.known.get((group_oid, ctx["StudyEventOID"]))
        if known is None:
            known = self.known[(group_oid, ctx["StudyEventOID"])] = self.mapping.items_of(
                group_oid, ctx["StudyEventOID"]
            )
        if item_oid not in known:
            value.fate = "not mapped"
            known_group = (
                bool(self.mapping.maps_of(group_oid, ctx["StudyEventOID"])) or group_oid in self.mapping.findings
            )
            ignored = item_oid in self.mapping.ignore_items
            if self.mapping.strict and known_group and not ignored and group_oid not in ATTRIBUTE_GROUPS:
                entry = self.unmapped.setdefault((group_oid, item_oid), [0, value.line, location])
                entry[0] += 1
            return
        key = key_prefix(ctx, 7)
        group = self.groups.setdefault(key, GroupData(dict(ctx), *at))
        old = group.items.get(item_oid)
        if old is not None:
            old.fate = "superseded"
        group.items[item_oid] = value

    def _clear(self, ctx: dict[str, str], item_oid: str) -> None:
        group = self.groups.get(key_prefix(ctx, 7))
        old = group.items.pop(item_oid, None) if group is not None else None
        if old is not None:
            old.fate = "removed"

    def _remove(self, prefix: tuple[str, ...]) -> None:
        for key in [k for k in self.groups if k[: len(prefix)] == prefix]:
            for value in self.groups.pop(key).items.values():
                value.fate = "removed"
        if len(prefix) == 1:
            subject = self.subjects.get(prefix[0])
            if subject is not None and subject.number is not None:
                subject.number.fate = "removed"

    def _unmapped_errors(self) -> None:
        """One error per unmapped OID, at its first occurrence, with the number of occurrences."""
        for (group_oid, item_oid), (count, line, location) in sorted(self.unmapped.items(), key=lambda kv: kv[1][1]):
            if item_oid:
                message = f"ItemOID {item_oid!r} is not mapped for {group_oid} ({count} value(s) in the export)"
            else:
                message = f"ItemGroupOID {group_oid!r} is not in the mapping ({count} ItemGroupData in the export)"
            self.error(line, location, message, field=item_oid or group_oid)


def line_of(el: etree._Element) -> int:
    """The element's line in the file; 0 when lxml does not know it."""
    return el.sourceline or 0  # type: ignore[return-value]  # lxml-stubs leave sourceline untyped (int | None)


def segment(el: etree._Element) -> str:
    attrs = "".join(f"[@{a}='{el.get(a)}']" for a in KEY_ATTRS if el.get(a) is not None)
    return f"{etree.QName(el).localname}{attrs}"


def key_prefix(ctx: dict[str, str], depth: int) -> tuple[str, ...]:
    """The first `depth` keys of a context (subject, event, repeat, form, repeat, group, repeat)."""
    return tuple(ctx.get(k, "") for k in CTX_KEYS[:depth])
