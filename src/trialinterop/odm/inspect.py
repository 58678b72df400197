"""`odm-inspect`: what an ODM export holds, and a starter mapping for it.

The inventory joins the export's metadata (StudyEventDef, FormDef, ItemGroupDef, ItemDef with its question and
CodeList) to what ClinicalData really holds: occurrences of each study event, form and item group, values per item
(in the item group it occurs in), vendor attributes of SubjectData/StudyEventData/FormData, and the StudyOIDs.
`scaffold` writes a mapping with every OID present, the export's decodes as `values`, and TODO markers where a
person decides (table, field, visit numbers); `odm.mapping` refuses to load a mapping with a TODO left.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from trialinterop.odm.elements import ODM_NS, vendor_attributes
from trialinterop.odm.elements import local_name as _name
from trialinterop.odm.xmlsafe import MAX_XML_BYTES, parse_untrusted_xml

_ATTRIBUTE_GROUP = {"SubjectData": "@SubjectData", "StudyEventData": "@StudyEventData", "FormData": "@FormData"}


@dataclass(slots=True)
class Inventory:
    file: str
    file_type: str = ""
    study_oids: Counter[str] = field(default_factory=Counter)  # StudyOID -> SubjectData blocks
    subjects: set[str] = field(default_factory=set)
    events: Counter[str] = field(default_factory=Counter)
    forms: Counter[str] = field(default_factory=Counter)
    groups: Counter[str] = field(default_factory=Counter)
    items: dict[str, Counter[str]] = field(default_factory=dict)  # ItemGroupOID -> ItemOID -> values
    group_events: dict[str, set[str]] = field(default_factory=dict)  # ItemGroupOID -> StudyEventOIDs
    repeats: Counter[str] = field(default_factory=Counter)  # OID -> instances with a repeat key above 1
    names: dict[str, str] = field(default_factory=dict)  # OID -> Name (or question) from the metadata
    codelists: dict[str, dict[str, str]] = field(default_factory=dict)  # ItemOID -> coded value -> decode
    no_value: int = 0


def inspect_export(path: str | Path, *, max_bytes: int = MAX_XML_BYTES) -> Inventory:
    """Read an export (safely, see `xmlsafe`) into its inventory."""
    root = parse_untrusted_xml(path, max_bytes=max_bytes).getroot()
    inventory = Inventory(Path(path).name, root.get("FileType", ""))
    _metadata(root, inventory)
    for data in root:
        if _name(data) == "ClinicalData":
            for subject in data:
                if _name(subject) == "SubjectData":
                    inventory.study_oids[data.get("StudyOID", "")] += 1
                    inventory.subjects.add(subject.get("SubjectKey", ""))
                    _walk(subject, inventory, "")
    return inventory


def _metadata(root: etree._Element, inventory: Inventory) -> None:
    codelists: dict[str, dict[str, str]] = {}
    item_lists: dict[str, str] = {}
    for el in root.iter(f"{{{ODM_NS}}}*"):
        name = _name(el)
        if name in ("StudyEventDef", "FormDef", "ItemGroupDef", "ItemDef"):
            question = el.find(f"{{{ODM_NS}}}Question/{{{ODM_NS}}}TranslatedText")
            text = question.text if question is not None and question.text else el.get("Name", "")
            inventory.names[el.get("OID", "")] = " ".join(text.split())
            ref = el.find(f"{{{ODM_NS}}}CodeListRef")
            if ref is not None:
                item_lists[el.get("OID", "")] = ref.get("CodeListOID", "")
        elif name == "CodeList":
            terms = {}
            for item in el.iter(f"{{{ODM_NS}}}CodeListItem", f"{{{ODM_NS}}}EnumeratedItem"):
                decode = item.find(f"{{{ODM_NS}}}Decode/{{{ODM_NS}}}TranslatedText")
                coded = item.get("CodedValue", "")
                terms[coded] = " ".join((decode.text or coded).split()) if decode is not None else coded
            codelists[el.get("OID", "")] = terms
    for item_oid, codelist in item_lists.items():
        if codelist in codelists:
            inventory.codelists[item_oid] = codelists[codelist]


def _walk(el: etree._Element, inventory: Inventory, event: str) -> None:
    kind = _name(el)
    if kind == "StudyEventData":
        event = el.get("StudyEventOID", "")
    if kind in _ATTRIBUTE_GROUP:
        group = _ATTRIBUTE_GROUP[kind]
        for name, _value in vendor_attributes(el):
            inventory.items.setdefault(group, Counter())[name] += 1
            inventory.groups[group] += 0
            inventory.group_events.setdefault(group, set()).add(event)
    if kind == "StudyEventData":
        inventory.events[event] += 1
        if _above_one(el.get("StudyEventRepeatKey")):
            inventory.repeats[event] += 1
    elif kind == "FormData":
        inventory.forms[el.get("FormOID", "")] += 1
        if _above_one(el.get("FormRepeatKey")):
            inventory.repeats[el.get("FormOID", "")] += 1
    elif kind == "ItemGroupData":
        oid = el.get("ItemGroupOID", "")
        inventory.groups[oid] += 1
        inventory.group_events.setdefault(oid, set()).add(event)
        if _above_one(el.get("ItemGroupRepeatKey")):
            inventory.repeats[oid] += 1
        items = inventory.items.setdefault(oid, Counter())
        for child in el:
            if _name(child).startswith("ItemData"):
                text = child.get("Value") if _name(child) == "ItemData" else child.text
                if text is None or not text.strip():
                    inventory.no_value += 1
                else:
                    items[child.get("ItemOID", "")] += 1
        return
    for child in el:
        _walk(child, inventory, event)


def _above_one(key: str | None) -> bool:
    return bool(key) and key not in ("1", "")


def render(inventory: Inventory) -> list[str]:
    """The inventory as text: one line per OID with its occurrences (and its name, repeats and code list)."""
    out = [
        f"{inventory.file}: ODM {inventory.file_type or '(no FileType)'}, {len(inventory.subjects)} subject(s), "
        f"StudyOID(s) {', '.join(f'{oid} ({n} SubjectData)' for oid, n in sorted(inventory.study_oids.items()))}",
        f"study events ({len(inventory.events)}):",
    ]
    out += [_line(oid, n, inventory, "instances") for oid, n in sorted(inventory.events.items())]
    out.append(f"forms ({len(inventory.forms)}):")
    out += [_line(oid, n, inventory, "instances") for oid, n in sorted(inventory.forms.items())]
    out.append(f"item groups ({len(inventory.items)}) and their items (values):")
    for group in sorted(inventory.items):
        count = inventory.groups[group]
        events = ", ".join(sorted(e for e in inventory.group_events.get(group, ()) if e)) or "no study event"
        if count:
            name = inventory.names.get(group)
            head = _line(group, count, inventory, "ItemGroupData", name=False) + f" in {events}"
            out.append(head + (f"  -- {name}" if name and name != group else ""))
        else:
            out.append(f"  {group} (vendor attributes) in {events}")
        for item, values in sorted(inventory.items[group].items()):
            out.append(_line(item, values, inventory, "values", indent="    "))
            terms = inventory.codelists.get(item)
            if terms:
                out.append("      code list: " + ", ".join(f"{code} = {decode}" for code, decode in terms.items()))
    out.append(f"ItemData without a value (audit, query, comment records): {inventory.no_value}")
    return out


def _line(oid: str, count: int, inventory: Inventory, unit: str, indent: str = "  ", *, name: bool = True) -> str:
    label = inventory.names.get(oid) if name else None
    repeats = inventory.repeats.get(oid)
    text = f"{indent}{oid}: {count} {unit}"
    if repeats:
        text += f", {repeats} repeated (repeat key > 1)"
    return text + (f"  -- {label}" if label and label != oid else "")


def scaffold(inventory: Inventory) -> str:
    """A starter mapping (YAML text) for the export: every OID present, decodes from the export, TODO markers."""
    q = json.dumps  # a JSON string is a valid YAML scalar, quoted where YAML needs it
    lines = [
        f"# Starter mapping for {inventory.file}, written by `trialinterop odm-inspect --scaffold`.",
        "# Replace every TODO (the mapping does not load while one is left), delete what you do not need, and list",
        "# items that hold no data under ignore. The values maps hold the export's own decodes: change the right-hand",
        "# sides to the records' submission values (docs/records.md). Format and vendor notes: docs/odm-mapping.md.",
        f"description: {q('TODO: describe the export ' + inventory.file)}",
        "strict: true",
        "incomplete: error",
        "studies:",
    ]
    lines += [f"  {q(oid)}: {{}}  # {n} SubjectData; a site-level study: {{site: SITE_ID}}"
              for oid, n in sorted(inventory.study_oids.items())]  # fmt: skip
    lines += [
        "# subject_key: {pattern: '^(\\d+)$', replace: '01-\\1'}  # or {attribute: 'mdsol:SubjectName'} or {item: OID}",
        "study_events:",
    ]
    for oid, n in sorted(inventory.events.items()):
        repeats = f", {inventory.repeats[oid]} repeated: say how with repeats" if inventory.repeats.get(oid) else ""
        lines.append(f"  {q(oid)}: TODO_VISIT_NUMBER  # {n} instances{repeats}; {inventory.names.get(oid, '')}")
    lines.append("ignore: {item_groups: [], items: []}")
    lines.append("item_groups:")
    rows = {"@SubjectData": "subject", "@StudyEventData": "event"}
    for group in sorted(inventory.items):
        if group.startswith("@"):
            head = f"  {q(group)}:  # vendor attributes of {group[1:]}"
        else:
            head = f"  {q(group)}:  # {inventory.groups[group]} ItemGroupData; {inventory.names.get(group, '')}"
        lines += [
            head.rstrip("; "),
            "    table: TODO_TABLE",
            f"    row: {rows.get(group, 'group')}  # subject | event | group",
            "    items:",
        ]
        for item, count in sorted(inventory.items[group].items()):
            comment = f"  # {count} values; {inventory.names.get(item, '')}".rstrip("; ")
            terms = inventory.codelists.get(item)
            if terms:
                decodes = ", ".join(f"{q(code)}: {q(decode)}" for code, decode in terms.items())
                lines.append(f"      {q(item)}: {{field: TODO_FIELD, values: {{{decodes}}}}}{comment}")
            else:
                lines.append(f"      {q(item)}: TODO_FIELD{comment}")
    return "\n".join(lines) + "\n"
