"""Export `TrialRecords` as a CDISC ODM 1.3.2 file (metadata + ClinicalData) laid out by an ODM mapping file.

This is the EDC side of the end-to-end test EDC -> ODM -> records: the mapping that reads the file also says where
each field goes (item group, form, study event), so `read_odm(write_odm(r, mapping), mapping, definition) == r`.
Findings are pivoted back: one item group per subject, instrument, visit and timepoint (the mapping's `findings:`).
The MetaDataVersion is derived from the mapping and records.schema.json (data types, code lists from the schema's
enumerations, lengths from the data). Output is deterministic: CreationDateTime is the study's data cut-off date.
A table the mapping has no item group for (e.g. a layout without concomitant medication or medical history forms) is
left out when the records have no row of it; with rows it is refused (SpecError), as any field without an item is.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from lxml import etree

from trialinterop.atomic import staged_file
from trialinterop.errors import SpecError
from trialinterop.odm.mapping import FindingsMap, GroupMap, OdmMapping, load_mapping
from trialinterop.odm.reader import ODM_NS
from trialinterop.source import models as m
from trialinterop.source.reader import TABLE_ATTRS
from trialinterop.source.schema import FieldSpec, records_schema
from trialinterop.source.writer import format_cell

XML_NS = "http://www.w3.org/XML/1998/namespace"
_DATA_TYPES = {"string": "text", "list": "text", "integer": "integer", "number": "float", "datetime": "partialDatetime"}
_DERIVED = {("subjects.csv", "site_id"), ("subjects.csv", "country")}  # SiteRef, the definition's site


def write_odm(records: m.TrialRecords, mapping_path: str | Path, destination: str | Path) -> Path:
    """Write `records` as ODM 1.3.2 to `destination` (atomically); return the path."""
    mapping = load_mapping(mapping_path)
    root = build_odm(records, mapping)
    destination = Path(destination)
    with staged_file(destination) as temp:
        etree.ElementTree(root).write(str(temp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
        mask = os.umask(0)
        os.umask(mask)
        temp.chmod(0o666 & ~mask)  # mkstemp makes 0600 files; give the output a plain file's permissions
    return destination


def _e(parent: etree._Element | None, tag: str, **attrs: str | None) -> etree._Element:
    clean = {k: v for k, v in attrs.items() if v is not None}
    name = f"{{{ODM_NS}}}{tag}"
    if parent is None:
        return etree.Element(name, clean, nsmap={None: ODM_NS})  # type: ignore[dict-item]  # lxml-stubs lack the None (default namespace) key
    return etree.SubElement(parent, name, clean)


def _text(parent: etree._Element, tag: str, text: str) -> None:
    translated = etree.SubElement(_e(parent, tag), f"{{{ODM_NS}}}TranslatedText")
    translated.set(f"{{{XML_NS}}}lang", "en")
    translated.text = text


class _Layout:
    """Where each table goes: its one item group, and field -> (ItemOID, reverse code map)."""

    def __init__(self, mapping: OdmMapping, records: m.TrialRecords) -> None:
        self.tables = records_schema(records.definition)
        if mapping.findings:
            self.tables.pop("findings.csv")
        self.findings = {f.instrument: f for f in mapping.findings.values()}
        self.mapping = mapping
        self.groups: dict[str, GroupMap] = {}
        self.items: dict[str, dict[str, tuple[str, dict[str, str] | None]]] = {}
        for table, spec in list(self.tables.items()):
            groups = mapping.groups_for(table)
            rows = getattr(records, TABLE_ATTRS[table])
            if not groups and table != "subjects.csv":
                if rows:
                    raise SpecError(
                        f"{mapping.path}: {table} has {len(rows)} row(s) but no item group: export would lose them"
                    )
                del self.tables[table]  # a layout without this form, and nothing of it to export
                continue
            if len(groups) != 1:
                raise SpecError(f"{mapping.path}: the ODM writer needs exactly one item group for {table}")
            group = groups[0]
            if group.form is None or (group.row != "event" and group.study_event is None):
                raise SpecError(
                    f"{mapping.path}: item group {group.oid} needs 'form' (and 'study_event') to be written"
                )
            self.groups[table] = group
            fields: dict[str, tuple[str, dict[str, str] | None]] = {}
            for oid, targets in group.items.items():
                for target in targets:
                    if target.list:
                        raise SpecError(f"{mapping.path}: the ODM writer cannot split list item {oid}")
                    reverse = None
                    if target.values is not None:
                        reverse = {v: k for k, v in target.values.items() if v is not None}
                    fields[target.field] = (oid, reverse)
            for fname, ctx in group.context.items():
                fields.setdefault(fname, (f"@{ctx}", None))
            unmapped = [
                f.name
                for f in spec.fields
                if f.name not in fields and f.name != "subject_id" and (table, f.name) not in _DERIVED
            ]
            unmapped = [f for f in unmapped if not (f == "visit_num" and group.row == "event")]
            unmapped = [f for f in unmapped if any(getattr(r, f, None) is not None for r in rows)]  # values to lose
            if unmapped:
                raise SpecError(
                    f"{mapping.path}: {table} field(s) {', '.join(unmapped)} have no item: export would lose them"
                )
            self.items[table] = fields
        self.site_oids = {site_id: oid for oid, site_id in mapping.sites.items()}
        self.event_oids = {num: oid for oid, num in mapping.study_events.items()}


def build_odm(records: m.TrialRecords, mapping: OdmMapping) -> etree._Element:
    layout = _Layout(mapping, records)
    study = records.study
    created = f"{study.data_cutoff_date or study.start_date or '2000-01-01'}T00:00:00"
    root = _e(
        None,
        "ODM",
        FileOID=f"ODM.{study.study_id}",
        FileType="Snapshot",
        Granularity="All",
        CreationDateTime=created,
        ODMVersion="1.3.2",
        Originator="trialinterop",
    )
    study_el = _e(root, "Study", OID=f"ST.{study.study_id}")
    globals_el = _e(study_el, "GlobalVariables")
    _e(globals_el, "StudyName").text = study.study_id
    _e(globals_el, "StudyDescription").text = study.brief_title
    _e(globals_el, "ProtocolName").text = study.nct_id
    rows = _rows(records, layout)
    _metadata(study_el, records, layout, rows)
    admin = _e(root, "AdminData", StudyOID=f"ST.{study.study_id}")
    for site in study.sites:
        oid = layout.site_oids.get(site.site_id)
        if oid is None:
            raise SpecError(f"{mapping.path}: site {site.site_id} has no LocationOID in 'sites'")
        location = _e(admin, "Location", OID=oid, Name=site.name, LocationType="Site")
        _e(location, "MetaDataVersionRef", StudyOID=f"ST.{study.study_id}", MetaDataVersionOID="MDV.1",
           EffectiveDate=study.start_date or created[:10])  # fmt: skip
    clinical = _e(root, "ClinicalData", StudyOID=f"ST.{study.study_id}", MetaDataVersionOID="MDV.1")
    for subject in records.subjects:
        _subject_data(clinical, subject, rows.get(subject.subject_id, {}), layout)
    return root


# rows[subject_id][(event_oid, event_repeat_key, sort_key)][form_oid] -> list of (group_oid, repeat_key, items)
_Rows = dict[str, dict[tuple[str, str, float], dict[str, list[tuple[str, str | None, list[tuple[str, str]]]]]]]


def _rows(records: m.TrialRecords, layout: _Layout) -> _Rows:
    out: _Rows = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    counters: dict[tuple[str, str], int] = defaultdict(int)
    screening = min(layout.event_oids) if layout.event_oids else 0.0
    for table, spec in layout.tables.items():
        group = layout.groups[table]
        fields = layout.items[table]
        for row in getattr(records, TABLE_ATTRS[table]):
            values = _values(row)
            items = []
            for fspec in spec.fields:
                if fspec.name not in fields or fields[fspec.name][0].startswith("@"):
                    continue
                oid, reverse = fields[fspec.name]
                text = format_cell(values[fspec.name])
                if text and reverse is not None:
                    text = reverse[text]
                if text:
                    items.append((oid, text))
            if group.row == "event":
                num = values["visit_num"]
                if num in layout.event_oids:
                    event = (layout.event_oids[num], "", num)
                elif layout.mapping.unscheduled_event:
                    event = (layout.mapping.unscheduled_event, format_cell(num), num)
                else:
                    raise SpecError(f"{layout.mapping.path}: visit {num:g} is neither in study_events nor unscheduled")
                repeat = None
            else:
                se = group.study_event or ""
                event = (se, "", layout.mapping.study_events.get(se, screening if group.row == "subject" else 1e9))
                counters[(row.subject_id, group.oid)] += 1
                repeat = None if group.row == "subject" else str(counters[(row.subject_id, group.oid)])
            for fname, ctx in group.context.items():
                if ctx == "ItemGroupRepeatKey":
                    repeat = format_cell(values[fname])
            out[row.subject_id][event][group.form or ""].append((group.oid, repeat, items))
    if layout.findings:
        _finding_rows(records, layout, out)
    return out


def _finding_rows(records: m.TrialRecords, layout: _Layout, out: _Rows) -> None:
    """Findings pivoted into one item group per (subject, instrument, visit, timepoint); SpecError when the mapping
    cannot hold a value (no item for it, or group-level values that differ between the tests of one group)."""
    grouped: dict[tuple, list[m.Finding]] = defaultdict(list)
    for f in records.findings:
        grouped[(f.subject_id, f.instrument, f.visit_num, f.timepoint or "")].append(f)
    for (sid, instrument, num, _), rows in grouped.items():
        fmap = layout.findings.get(instrument)
        if fmap is None:
            raise SpecError(f"{layout.mapping.path}: no findings item group for instrument {instrument}")
        items: list[tuple[str, str]] = []
        for fname, oid in fmap.fields.items():
            values = {getattr(r, fname) for r in rows} - {None}
            if fname == "status":
                values -= (
                    {"NOT DONE"} if "reason_not_done" in fmap.fields and any(r.reason_not_done for r in rows) else set()
                )
            if len(values) > 1:
                raise SpecError(
                    f"{layout.mapping.path}: {sid} {instrument} visit {num:g}: {fname} differs between tests"
                )
            if values:
                items.append((oid, str(values.pop())))
        by_test = {testcd: oid for oid, testcd in fmap.tests.items()}
        refs = {testcd: oid for oid, testcd in fmap.references.items()}
        for r in rows:
            if r.testcd not in by_test:
                raise SpecError(f"{layout.mapping.path}: findings/{fmap.oid} has no item for test {r.testcd}")
            if r.result is not None:
                items.append((by_test[r.testcd], r.result))
            if r.reference_result is not None:
                if r.testcd not in refs:
                    raise SpecError(f"{layout.mapping.path}: findings/{fmap.oid} has no reference item for {r.testcd}")
                items.append((refs[r.testcd], r.reference_result))
        order = {oid: i for i, oid in enumerate([*fmap.fields.values(), *fmap.tests, *fmap.references])}
        items.sort(key=lambda item: order[item[0]])
        if num in layout.event_oids:
            event = (layout.event_oids[num], "", num)
        elif layout.mapping.unscheduled_event:
            event = (layout.mapping.unscheduled_event, format_cell(num), num)
        else:
            raise SpecError(f"{layout.mapping.path}: visit {num:g} is neither in study_events nor unscheduled")
        out[sid][event][fmap.form or ""].append((fmap.oid, None, items))


def _values(row: Any) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in row.__slots__ if name not in ("origin", "attributes")}
    if isinstance(row, m.Subject):
        values.update(row.attributes)
    return values


def _subject_data(clinical: etree._Element, subject: m.Subject, events: dict, layout: _Layout) -> None:
    el = _e(clinical, "SubjectData", SubjectKey=subject.subject_id)
    oid = layout.site_oids.get(subject.site_id)
    if oid is None:
        raise SpecError(f"{layout.mapping.path}: site {subject.site_id} has no LocationOID in 'sites'")
    _e(el, "SiteRef", LocationOID=oid)
    for event_oid, event_repeat, _ in sorted(events, key=lambda k: (k[2], k[0])):
        forms = events[(event_oid, event_repeat, _)]
        event_el = _e(el, "StudyEventData", StudyEventOID=event_oid, StudyEventRepeatKey=event_repeat or None)
        for form_oid, groups in forms.items():
            form_el = _e(event_el, "FormData", FormOID=form_oid)
            for group_oid, repeat, items in groups:
                group_el = _e(form_el, "ItemGroupData", ItemGroupOID=group_oid, ItemGroupRepeatKey=repeat)
                for item_oid, text in items:
                    _e(group_el, "ItemData", ItemOID=item_oid, Value=text)


def _metadata(study_el: etree._Element, records: m.TrialRecords, layout: _Layout, rows: _Rows) -> None:
    mdv = _e(study_el, "MetaDataVersion", OID="MDV.1", Name=f"{records.study.study_id} records layout")
    protocol = _e(mdv, "Protocol")
    events: dict[str, list[str]] = {}
    for visit in sorted(records.study.visits, key=lambda v: v.visit_num):
        oid = layout.event_oids.get(visit.visit_num)
        if oid is not None:
            events.setdefault(oid, [])
    extra = [layout.mapping.unscheduled_event] + [g.study_event for g in layout.groups.values()]
    for oid in extra:
        if oid:
            events.setdefault(oid, [])
    for subject_events in rows.values():
        for (event_oid, _, _), forms in subject_events.items():
            for form in forms:
                if form not in events[event_oid]:
                    events[event_oid].append(form)
    names = {layout.event_oids[v.visit_num]: v.name for v in records.study.visits if v.visit_num in layout.event_oids}
    for order, oid in enumerate(events, start=1):
        _e(protocol, "StudyEventRef", StudyEventOID=oid, OrderNumber=str(order), Mandatory="No")
    for oid, event_forms in events.items():
        repeating = "Yes" if oid == layout.mapping.unscheduled_event else "No"
        kind = "Unscheduled" if repeating == "Yes" else ("Common" if oid not in names else "Scheduled")
        se = _e(
            mdv, "StudyEventDef", OID=oid, Name=names.get(oid, oid.removeprefix("SE.")), Repeating=repeating, Type=kind
        )
        for order, form in enumerate(sorted(event_forms, key=_form_order(layout)), start=1):
            _e(se, "FormRef", FormOID=form, OrderNumber=str(order), Mandatory="No")
    for table, group in layout.groups.items():
        form_el = _e(mdv, "FormDef", OID=group.form or "", Name=table.removesuffix(".csv"), Repeating="No")
        _e(form_el, "ItemGroupRef", ItemGroupOID=group.oid, Mandatory="Yes")
    for fmap in layout.findings.values():
        form_el = _e(mdv, "FormDef", OID=fmap.form or "", Name=fmap.instrument, Repeating="No")
        _e(form_el, "ItemGroupRef", ItemGroupOID=fmap.oid, Mandatory="Yes")
    specs = {table: {f.name: f for f in spec.fields} for table, spec in layout.tables.items()}
    item_defs: list[tuple[str, FieldSpec, str, list[str]]] = []
    for table, group in layout.groups.items():
        repeating = "No" if group.row in ("subject", "event") else "Yes"
        group_el = _e(mdv, "ItemGroupDef", OID=group.oid, Name=table.removesuffix(".csv"), Repeating=repeating)
        for order, (fname, (oid, _)) in enumerate(layout.items[table].items(), start=1):
            if oid.startswith("@"):
                continue
            mandatory = "Yes" if specs[table][fname].required else "No"
            _e(group_el, "ItemRef", ItemOID=oid, OrderNumber=str(order), Mandatory=mandatory)
            texts = [format_cell(v) for v in _column(records, table, fname)]
            item_defs.append((oid, specs[table][fname], table, texts))
    for fmap in layout.findings.values():
        group_el = _e(mdv, "ItemGroupDef", OID=fmap.oid, Name=fmap.instrument, Repeating="No")
        for order, oid in enumerate([*fmap.fields.values(), *fmap.tests, *fmap.references], start=1):
            _e(group_el, "ItemRef", ItemOID=oid, OrderNumber=str(order), Mandatory="No")
    for oid, spec, _table, texts in item_defs:
        data_type = _DATA_TYPES.get(spec.type) or ("date" if spec.complete else "partialDate")
        attrs: dict[str, str | None] = {"OID": oid, "Name": spec.name, "DataType": data_type}
        if data_type in ("text", "integer", "float"):
            attrs["Length"] = str(max([len(t) for t in texts] + [1]))
        if data_type == "float":
            attrs["SignificantDigits"] = str(max([len(t.partition(".")[2]) for t in texts] + [0]))
        item = _e(mdv, "ItemDef", **attrs)
        _text(item, "Description", spec.description)
        if spec.enum is not None:
            _e(item, "CodeListRef", CodeListOID=f"CL.{oid.removeprefix('IT.')}")
    finding_texts = _finding_texts(records, layout)
    for fmap in layout.findings.values():
        for oid in [*fmap.fields.values(), *fmap.tests, *fmap.references]:
            texts = finding_texts.get(oid, [])
            item = _e(mdv, "ItemDef", OID=oid, Name=oid.removeprefix("IT."), DataType="text",
                      Length=str(max([len(t) for t in texts] + [1])))  # fmt: skip
            _text(item, "Description", _finding_description(fmap, oid))
    for oid, spec, _table, _texts in item_defs:
        if spec.enum is None:
            continue
        code_list = _e(mdv, "CodeList", OID=f"CL.{oid.removeprefix('IT.')}", Name=spec.name, DataType="text")
        for value in spec.enum:
            _e(code_list, "EnumeratedItem", CodedValue=value)


def _finding_texts(records: m.TrialRecords, layout: _Layout) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for f in records.findings:
        fmap = layout.findings.get(f.instrument)
        if fmap is None:
            continue
        for oid, testcd in fmap.tests.items():
            if testcd == f.testcd and f.result is not None:
                out[oid].append(f.result)
        for oid, testcd in fmap.references.items():
            if testcd == f.testcd and f.reference_result is not None:
                out[oid].append(f.reference_result)
        for fname, oid in fmap.fields.items():
            if getattr(f, fname) is not None:
                out[oid].append(str(getattr(f, fname)))
    return out


def _finding_description(fmap: FindingsMap, oid: str) -> str:
    if oid in fmap.tests:
        return f"{fmap.instrument} {fmap.tests[oid]} result"
    if oid in fmap.references:
        return f"{fmap.instrument} {fmap.references[oid]} reference result"
    return f"{fmap.instrument} {next(f for f, o in fmap.fields.items() if o == oid)}"


def _form_order(layout: _Layout) -> Any:
    order = [g.form for g in layout.groups.values()] + [f.form for f in layout.findings.values()]
    return lambda form: order.index(form) if form in order else len(order)


def _column(records: m.TrialRecords, table: str, fname: str) -> list[Any]:
    return [v for row in getattr(records, TABLE_ATTRS[table]) if (v := _values(row)[fname]) is not None]
