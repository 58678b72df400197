"""Read a CDISC ODM 1.3.x ClinicalData export into `TrialRecords`, driven by a mapping file (see `odm.mapping`).

The study definition is given alongside (a file or a bundled study id): ODM carries no trial design. Findings item
groups (the mapping's `findings:`) unpivot into one long-form Finding per test. The ClinicalData is
replayed in document order as a transaction stream, so snapshots and transactional audit streams (Medidata Rave:
TransactionType Insert/Update/Upsert/Remove, the same subject repeated in many SubjectData blocks) read alike: the
last value wins and Remove deletes the item, item group, form, study event or subject. Vendor extensions (`redcap:`,
`mdsol:` attributes and elements in foreign namespaces) are ignored; REDCap's FormData directly under SubjectData
(no StudyEventData) is accepted.

Every problem names the ODM file, the line (`element.sourceline`), an XPath-like location with SubjectKey and OIDs,
and the ItemOID -> table.field it concerns. Typed values are checked with the same rules as the records folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any, cast

from lxml import etree

from trialinterop.definition import StudyDefinition, resolve_definition
from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity
from trialinterop.number_text import format_number as _number_text
from trialinterop.odm.mapping import INCOMPLETE_POLICIES, FindingsMap, GroupMap, OdmMapping, load_mapping
from trialinterop.odm.xmlsafe import MAX_XML_BYTES, parse_untrusted_xml
from trialinterop.source import models as m
from trialinterop.source.generate import finding_order
from trialinterop.source.reader import TABLE_ATTRS, TABLE_MODELS, build_row, convert_cell, cross_check
from trialinterop.source.schema import TableSpec, records_schema

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
_KEY_ATTRS = (
    "SubjectKey",
    "StudyEventOID",
    "StudyEventRepeatKey",
    "FormOID",
    "FormRepeatKey",
    "ItemGroupOID",
    "ItemGroupRepeatKey",
    "ItemOID",
)


@dataclass(frozen=True, slots=True)
class OdmResult:
    records: m.TrialRecords
    warnings: tuple[Issue, ...] = ()


@dataclass(slots=True)
class _Value:
    text: str
    line: int
    location: str
    item_oid: str


@dataclass(slots=True)
class _Group:
    ctx: dict[str, str]
    line: int
    location: str
    items: dict[str, _Value] = field(default_factory=dict)


@dataclass(slots=True)
class _Subject:
    key: str
    line: int
    location: str
    site: str | None = None
    site_line: int = 0


@dataclass(slots=True)
class _Row:
    subject_key: str
    event_oid: str
    line: int
    location: str
    values: dict[str, _Value] = field(default_factory=dict)
    lists: dict[str, list[_Value]] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)  # fields whose collected value was refused (already reported)


def read_odm(
    odm_path: str | Path,
    mapping_path: str | Path,
    study: str | Path | StudyDefinition,
    *,
    strict: bool | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> m.TrialRecords:
    """ODM ClinicalData + mapping + study definition -> TrialRecords; InputError listing every problem."""
    return load_odm(odm_path, mapping_path, study, strict=strict, max_bytes=max_bytes).records


def load_odm(
    odm_path: str | Path,
    mapping_path: str | Path,
    study: str | Path | StudyDefinition,
    *,
    strict: bool | None = None,
    incomplete: str | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> OdmResult:
    """As `read_odm`, also returning warnings (rows or subjects dropped under `incomplete: skip_row/skip_subject`)."""
    mapping = load_mapping(mapping_path)
    if strict is not None:
        mapping = dc_replace(mapping, strict=strict)
    if incomplete is not None:
        if incomplete not in INCOMPLETE_POLICIES:
            raise ValueError(f"incomplete must be one of {', '.join(INCOMPLETE_POLICIES)}")
        mapping = dc_replace(mapping, incomplete=incomplete)
    definition = study if isinstance(study, StudyDefinition) else resolve_definition(study)
    tree = parse_untrusted_xml(odm_path, max_bytes=max_bytes)
    return _Reader(Path(odm_path).name, mapping, definition).run(tree)


class _Reader:
    def __init__(self, file: str, mapping: OdmMapping, definition: StudyDefinition) -> None:
        self.file, self.mapping, self.definition = file, mapping, definition
        self.problems: list[Issue] = []
        self.subjects: dict[str, _Subject] = {}
        self.groups: dict[tuple[str, ...], _Group] = {}
        self.bad_keys: set[str] = set()

    def error(self, line: int | None, location: str, message: str, *, field: str = "", value: str = "") -> None:
        key = f"line {line}" if line else ""
        self.problems.append(
            Issue("ODM", Severity.ERROR, f"{location}: {message}", where=self.file, key=key, field=field, value=value)
        )

    # --- replay ClinicalData --------------------------------------------------------------------------------------

    def run(self, tree: etree._ElementTree) -> OdmResult:
        root = tree.getroot()
        if _name(root) != "ODM":
            self.error(_line(root), "/" + _segment(root), "the root element is not ODM")
            raise InputError(self.problems, summary=f"invalid ODM file {self.file}")
        clinical = [el for el in root if _name(el) == "ClinicalData"]
        if not clinical:
            self.error(_line(root), "/ODM", "no ClinicalData element")
        for data in clinical:
            where = f"/ODM/{_segment(data)}"
            for subject in data:
                if _name(subject) == "SubjectData":
                    self._subject(subject, where)
        if self.problems:
            raise InputError(self.problems, summary=f"invalid ODM data in {self.file}")
        return self._records()

    def _subject(self, el: etree._Element, parent: str) -> None:
        location = f"{parent}/{_segment(el)}"
        key = el.get("SubjectKey")
        if not key:
            self.error(_line(el), location, "SubjectData without SubjectKey")
            return
        if el.get("TransactionType") == "Remove":
            self.subjects.pop(key, None)
            self._remove((key,))
            return
        subject = self.subjects.setdefault(key, _Subject(key, _line(el), location))
        ctx = {"SubjectKey": key}
        for child in el:
            name = _name(child)
            if name == "SiteRef":
                subject.site, subject.site_line = child.get("LocationOID"), _line(child)
            elif name == "StudyEventData":
                self._event(child, ctx, location)
            elif name == "FormData":  # REDCap classic projects: no StudyEventData
                self._form(child, {**ctx, "StudyEventOID": "", "StudyEventRepeatKey": ""}, location)

    def _event(self, el: etree._Element, ctx: dict[str, str], parent: str) -> None:
        location = f"{parent}/{_segment(el)}"
        ctx = {
            **ctx,
            "StudyEventOID": el.get("StudyEventOID", ""),
            "StudyEventRepeatKey": el.get("StudyEventRepeatKey", ""),
        }
        if el.get("TransactionType") == "Remove":
            self._remove(_prefix(ctx))
            return
        for child in el:
            if _name(child) == "FormData":
                self._form(child, ctx, location)

    def _form(self, el: etree._Element, ctx: dict[str, str], parent: str) -> None:
        location = f"{parent}/{_segment(el)}"
        ctx = {**ctx, "FormOID": el.get("FormOID", ""), "FormRepeatKey": el.get("FormRepeatKey", "")}
        if el.get("TransactionType") == "Remove":
            self._remove(_prefix(ctx))
            return
        for child in el:
            if _name(child) == "ItemGroupData":
                self._group(child, ctx, location)

    def _group(self, el: etree._Element, ctx: dict[str, str], parent: str) -> None:
        location = f"{parent}/{_segment(el)}"
        oid = el.get("ItemGroupOID", "")
        ctx = {**ctx, "ItemGroupOID": oid, "ItemGroupRepeatKey": el.get("ItemGroupRepeatKey", "")}
        key = _prefix(ctx)
        if el.get("TransactionType") == "Remove":
            self._remove(key)
            return
        gmap = self.mapping.groups.get(oid)
        fmap = self.mapping.findings.get(oid)
        if gmap is None and fmap is None:
            if oid not in self.mapping.ignore_groups and self.mapping.strict:
                self.error(_line(el), location, f"ItemGroupOID {oid!r} is not in the mapping", field=oid)
            return
        known = gmap.items if gmap is not None else cast(FindingsMap, fmap).items
        group = self.groups.setdefault(key, _Group(ctx, _line(el), location))
        for child in el:
            name = _name(child)
            if not name.startswith("ItemData"):
                continue
            item_oid = child.get("ItemOID", "")
            item_location = f"{location}/{_segment(child)}"
            if item_oid not in known:
                if item_oid not in self.mapping.ignore_items and self.mapping.strict:
                    self.error(
                        _line(child), item_location, f"ItemOID {item_oid!r} is not mapped for {oid}", field=item_oid
                    )
                continue
            if child.get("TransactionType") == "Remove" or child.get("IsNull") == "Yes":
                group.items.pop(item_oid, None)
                continue
            text = child.get("Value") if name == "ItemData" else (child.text or "")
            if text is None or text.strip() == "":
                group.items.pop(item_oid, None)
                continue
            group.items[item_oid] = _Value(text.strip(), _line(child), item_location, item_oid)

    def _remove(self, prefix: tuple[str, ...]) -> None:
        for key in [k for k in self.groups if k[: len(prefix)] == prefix]:
            del self.groups[key]

    # --- rows ----------------------------------------------------------------------------------------------------

    def _records(self) -> OdmResult:
        tables = records_schema(self.definition)
        rows: dict[str, dict[tuple[str, ...], _Row]] = {file: {} for file in tables}
        for subject in self.subjects.values():
            rows["subjects.csv"][(subject.key,)] = _Row(subject.key, "", subject.line, subject.location)
        for key, group in self.groups.items():
            if group.ctx["ItemGroupOID"] in self.mapping.findings:
                continue
            gmap = self.mapping.groups[group.ctx["ItemGroupOID"]]
            if gmap.row == "subject":
                row_key: tuple[str, ...] = key[:1]
            elif gmap.row == "event":
                row_key = key[:3]
            else:
                row_key = key
            table = rows[gmap.table]
            row = table.get(row_key)
            if row is None:
                row = table[row_key] = _Row(key[0], group.ctx.get("StudyEventOID", ""), group.line, group.location)
            self._fill(row, group, gmap)
        loaded: dict[str, list[Any]] = {}
        skipped: set[str] = set()
        warnings: list[Issue] = []
        built: dict[str, list[tuple[_Row, dict[str, Any]]]] = {}
        for file, spec in tables.items():
            built[file] = list(self._convert_rows(file, spec, rows[file].values(), skipped, warnings))
        built["findings.csv"] += self._findings(tables["findings.csv"])
        if self.problems:
            raise InputError(self.problems, summary=f"invalid ODM data in {self.file}")
        for file, spec in tables.items():
            loaded[file] = []
            seen: dict[tuple, int] = {}
            for row, values in built[file]:
                if row.subject_key in skipped:
                    continue
                pk = tuple(values[k] for k in spec.primary_key)
                if pk in seen:
                    self.error(
                        row.line,
                        row.location,
                        f"duplicate {file} key {pk} (first at line {seen[pk]})",
                        field=",".join(spec.primary_key),
                    )
                    continue
                seen[pk] = row.line
                origin = m.Origin(self.file, row.line)
                loaded[file].append(build_row(TABLE_MODELS[file], values, origin, attributes=spec.attributes))
        if not self.problems:
            for issue in cross_check(self.definition, loaded):
                self.problems.append(dc_replace(issue, rule="ODM", key=issue.key.replace("row ", "line ")))
        if self.problems:
            raise InputError(self.problems, summary=f"invalid ODM data in {self.file}")
        loaded["findings.csv"].sort(key=finding_order(self.definition))
        records = m.TrialRecords(definition=self.definition, **{TABLE_ATTRS[f]: tuple(r) for f, r in loaded.items()})
        return OdmResult(records, tuple(warnings))

    def _findings(self, spec: TableSpec) -> list[tuple[_Row, dict[str, Any]]]:
        """Every findings group -> one Finding per test with a result (or NOT DONE: a test without a result in a
        group that has a reason or status, totals aside); the unit of a result is its test's unit."""
        out: list[tuple[_Row, dict[str, Any]]] = []
        fields = {f.name: f for f in spec.fields}
        for group in self.groups.values():
            fmap = self.mapping.findings.get(group.ctx["ItemGroupOID"])
            if fmap is None:
                continue
            sid = self._subject_id(group.ctx["SubjectKey"])
            visit = self._finding_visit(group)
            instrument = self.definition.instrument(fmap.instrument)
            if sid is None or visit is None:
                continue
            if instrument is None:
                self.error(group.line, group.location, f"instrument {fmap.instrument!r} is not in the study definition",
                           field=f"findings/{fmap.oid}/instrument")  # fmt: skip
                continue
            shared = {f: group.items[oid].text for f, oid in fmap.fields.items() if oid in group.items}
            not_done = "reason_not_done" in shared or "status" in shared
            references = {
                testcd: group.items[oid].text for oid, testcd in fmap.references.items() if oid in group.items
            }
            for oid, testcd in fmap.tests.items():
                test = instrument.test(testcd)
                value = group.items.get(oid)
                texts = {"subject_id": sid, "instrument": fmap.instrument, "testcd": testcd, "visit_num": visit}
                if value is not None:
                    texts.update(shared, result=value.text, unit=(test.unit if test else None) or "")
                    texts.pop("status", None)
                    texts.pop("reason_not_done", None)
                elif not_done and test is not None and not test.total_of:
                    texts.update(shared, status=shared.get("status") or "NOT DONE")
                else:
                    continue
                if testcd in references:
                    texts["reference_result"] = references[testcd]
                values: dict[str, Any] = {}
                for name, fspec in fields.items():
                    try:
                        values[name] = convert_cell(texts.get(name, ""), fspec)
                    except ValueError as exc:
                        where = value.location if value is not None else group.location
                        self.error(group.line, where, str(exc), field=f"{oid} -> findings.csv.{name}",
                                   value=texts.get(name, ""))  # fmt: skip
                        break
                else:
                    out.append((_Row(group.ctx["SubjectKey"], group.ctx["StudyEventOID"], group.line, group.location),
                                values))  # fmt: skip
        return out

    def _finding_visit(self, group: _Group) -> str | None:
        event = group.ctx.get("StudyEventOID", "")
        if event in self.mapping.study_events:
            return _number_text(self.mapping.study_events[event])
        repeat = group.ctx.get("StudyEventRepeatKey", "")
        if event and event == self.mapping.unscheduled_event and _as_number(repeat) is not None:
            return repeat
        self.error(group.line, group.location, f"study event {event!r} gives no visit number for findings",
                   field="StudyEventOID", value=event)  # fmt: skip
        return None

    def _fill(self, row: _Row, group: _Group, gmap: GroupMap) -> None:
        for fname, ctx_key in gmap.context.items():
            ctx_value = group.ctx.get(ctx_key, "")
            if ctx_value:
                self._set(row, fname, _Value(ctx_value, group.line, group.location, f"@{ctx_key}"))
        for item_oid, value in group.items.items():
            for target in gmap.items[item_oid]:
                text: str | None = value.text
                if target.values is not None:
                    if text not in target.values:
                        allowed = ", ".join(repr(v) for v in target.values)
                        self.error(
                            value.line,
                            value.location,
                            f"value not in the mapping's code list for {item_oid} (allowed: {allowed})",
                            field=f"{item_oid} -> {gmap.table}.{target.field}",
                            value=value.text,
                        )
                        row.bad.add(target.field)
                        continue
                    text = target.values[text]
                if text is None:
                    continue
                translated = _Value(text, value.line, value.location, item_oid)
                if target.list:
                    row.lists.setdefault(target.field, []).append(translated)
                else:
                    self._set(row, target.field, translated, table=gmap.table)
        for fname, default in gmap.defaults.items():
            if fname not in row.values and fname not in row.lists:
                row.values[fname] = _Value(default, group.line, group.location, f"default of {gmap.oid}")

    def _set(self, row: _Row, fname: str, value: _Value, *, table: str = "") -> None:
        old = row.values.get(fname)
        if old is not None and old.text != value.text and not old.item_oid.startswith("default of"):
            self.error(
                value.line,
                value.location,
                f"conflicting values for {table}.{fname}: {old.text!r} (line {old.line}) and {value.text!r}",
                field=f"{value.item_oid} -> {table}.{fname}",
                value=value.text,
            )
            return
        row.values[fname] = value

    def _convert_rows(
        self, file: str, spec: TableSpec, rows: Any, skipped: set[str], warnings: list[Issue]
    ) -> Iterator[tuple[_Row, dict[str, Any]]]:
        for row in rows:
            texts = {name: v.text for name, v in row.values.items()}
            for name, parts in row.lists.items():
                texts[name] = "|".join(dict.fromkeys(p.text for p in parts))
            sid = self._subject_id(row.subject_key)
            if sid is None:
                continue
            texts["subject_id"] = sid
            if file == "subjects.csv":
                self._site_fields(row.subject_key, texts)
            # the study event gives the visit of a table that needs one (visits.csv); an optional visit_num (the
            # visit a medication or history was recorded at) comes only from a mapped item
            needs_visit = any(f.name == "visit_num" and f.required for f in spec.fields)
            if needs_visit and row.event_oid in self.mapping.study_events:
                planned = self.mapping.study_events[row.event_oid]
                collected = row.values.get("visit_num")
                if collected is None:
                    texts["visit_num"] = _number_text(planned)
                elif _as_number(collected.text) != planned:
                    self.error(
                        collected.line,
                        collected.location,
                        f"visit number {collected.text} contradicts study event {row.event_oid} (visit {planned:g})",
                        field=f"{collected.item_oid} -> {file}.visit_num",
                        value=collected.text,
                    )
                    continue
            values: dict[str, Any] = {}
            missing: list[str] = []
            bad = False
            for fspec in spec.fields:
                text = texts.get(fspec.name, "")
                source = row.values.get(fspec.name) or (row.lists.get(fspec.name) or [None])[0]
                if fspec.required and not text:
                    if fspec.name in row.bad:
                        bad = True
                    else:
                        missing.append(fspec.name)
                    continue
                try:
                    values[fspec.name] = convert_cell(text, fspec)
                except ValueError as exc:
                    where = source.location if source else row.location
                    line = source.line if source else row.line
                    oid = source.item_oid if source else ""
                    self.error(line, where, str(exc), field=f"{oid} -> {file}.{fspec.name}".lstrip(" ->"), value=text)
                    bad = True
            if missing:
                message = f"no value for required {file} field(s) {', '.join(missing)}"
                policy = self.mapping.incomplete
                if policy != "error" and row.subject_key in skipped:
                    continue  # already reported with its subject
                if policy == "error":
                    self.error(row.line, row.location, message, field=f"{file}.{missing[0]}")
                    continue
                if policy == "skip_subject" or file == "subjects.csv":
                    skipped.add(row.subject_key)
                    message += f"; subject {row.subject_key} skipped with all its rows"
                else:
                    message += "; row skipped"
                warnings.append(
                    Issue(
                        "ODM",
                        Severity.WARNING,
                        f"{row.location}: {message}",
                        where=self.file,
                        key=f"line {row.line}",
                        field=f"{file}.{missing[0]}",
                    )
                )
                continue
            if not bad:
                yield row, values

    def _subject_id(self, key: str) -> str | None:
        pattern, template = self.mapping.subject_pattern, self.mapping.subject_replace
        if not pattern:
            return key
        match = re.fullmatch(pattern, key)
        subject = self.subjects.get(key)
        if match is None:
            if key in self.bad_keys:
                return None
            self.bad_keys.add(key)
            self.error(
                subject.line if subject else None,
                subject.location if subject else f"SubjectData[@SubjectKey='{key}']",
                f"SubjectKey does not match the mapping's subject_key pattern {pattern}",
                field="SubjectKey",
                value=key,
            )
            return None
        return match.expand(template or r"\g<0>")

    def _site_fields(self, key: str, texts: dict[str, str]) -> None:
        subject = self.subjects.get(key)
        if subject is not None and subject.site is not None and not texts.get("site_id"):
            site_id = self.mapping.sites.get(subject.site)
            if site_id is None:
                self.error(
                    subject.site_line,
                    f"{subject.location}/SiteRef[@LocationOID='{subject.site}']",
                    "LocationOID is not in the mapping's sites",
                    field="LocationOID",
                    value=subject.site,
                )
            else:
                texts["site_id"] = site_id
        site = self.definition.site(texts.get("site_id", ""))
        if site is not None and not texts.get("country"):
            texts["country"] = site.country


def _name(el: Any) -> str:
    """Local name of an ODM element; '' for comments, processing instructions and foreign-namespace extensions."""
    if not isinstance(el.tag, str):
        return ""
    qname = etree.QName(el)
    return qname.localname if qname.namespace in (ODM_NS, None) else ""


def _line(el: etree._Element) -> int:
    """The element's line in the file; 0 when lxml does not know it."""
    return el.sourceline or 0  # type: ignore[return-value]  # lxml-stubs leave sourceline untyped (int | None)


def _segment(el: etree._Element) -> str:
    attrs = "".join(f"[@{a}='{el.get(a)}']" for a in _KEY_ATTRS if el.get(a) is not None)
    return f"{etree.QName(el).localname}{attrs}"


def _prefix(ctx: dict[str, str]) -> tuple[str, ...]:
    keys = ("SubjectKey", "StudyEventOID", "StudyEventRepeatKey", "FormOID", "FormRepeatKey", "ItemGroupOID")
    out = tuple(ctx[k] for k in keys if k in ctx)
    if "ItemGroupRepeatKey" in ctx:
        out += (ctx["ItemGroupRepeatKey"],)
    return out


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
