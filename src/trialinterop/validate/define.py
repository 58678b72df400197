"""The parts of a Define-XML (2.0/2.1) document the validator compares with the data.

Parsed with lxml as untrusted input: no entity resolution, no network, no huge trees, no DTD loading, so
entity-expansion ("billion laughs") and external-entity documents are refused or left unexpanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS_21 = "http://www.cdisc.org/ns/def/v2.1"
DEF_NS_20 = "http://www.cdisc.org/ns/def/v2.0"


@dataclass(frozen=True, slots=True)
class DefineVariable:
    name: str
    data_type: str  # text, integer, float, date, datetime, ...
    length: int | None
    label: str
    mandatory: bool
    order: int | None
    codelist: str | None  # CodeList OID


@dataclass(frozen=True)
class DefineDataset:
    name: str
    label: str
    variables: dict[str, DefineVariable] = field(default_factory=dict)


@dataclass(frozen=True)
class Define:
    path: str
    datasets: dict[str, DefineDataset]
    codelists: dict[str, frozenset[str]]  # OID -> coded values


def _fail(path: Path, message: str) -> InputError:
    return InputError([Issue("TI-READ", Severity.REJECT, message, where=str(path))], summary="cannot read define.xml")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def read_define(path: Path) -> Define:
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc.strerror or exc}") from None
    if b"<!ENTITY" in head:
        raise _fail(path, "XML declares entities (DOCTYPE with ENTITY); refused as unsafe for a Define-XML file")
    try:
        tree = etree.parse(str(path), _parser())
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc}") from None
    except etree.XMLSyntaxError as exc:
        raise _fail(path, f"not well-formed XML: {exc}") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and dtd.entities():  # type: ignore[union-attr]  # lxml-stubs' DTD lacks entities()
        raise _fail(path, "XML declares entities (DOCTYPE with ENTITY); refused as unsafe for a Define-XML file")
    root = tree.getroot()
    if etree.QName(root).localname != "ODM":
        raise _fail(path, "not a Define-XML document (root element is not ODM)")
    return _extract(path, root)


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    for child in element.iter():
        if etree.QName(child).localname == "TranslatedText" and child.text:
            return child.text.strip()
    return ""


def _def_attr(element: etree._Element, name: str) -> str | None:
    return element.get(f"{{{DEF_NS_21}}}{name}") or element.get(f"{{{DEF_NS_20}}}{name}")


def _extract(path: Path, root: etree._Element) -> Define:
    ns = {"odm": ODM_NS}
    items: dict[str, etree._Element] = {
        oid: e for e in root.iterfind(".//odm:ItemDef", ns) if (oid := e.get("OID")) is not None
    }
    codelists: dict[str, frozenset[str]] = {}
    for codelist in root.iterfind(".//odm:CodeList", ns):
        values = [item.get("CodedValue", "") for item in codelist if etree.QName(item).localname in _ITEM_TAGS]
        codelists[codelist.get("OID", "")] = frozenset(values)
    datasets: dict[str, DefineDataset] = {}
    for group in root.iterfind(".//odm:ItemGroupDef", ns):
        name = (group.get("Name") or "").upper()
        label = _text(group.find("odm:Description", ns))
        variables: dict[str, DefineVariable] = {}
        for ref in group.iterfind("odm:ItemRef", ns):
            item = items.get(ref.get("ItemOID", ""))
            if item is None:
                continue
            length = item.get("Length")
            order = ref.get("OrderNumber")
            codelist_ref = item.find("odm:CodeListRef", ns)
            var_name = item.get("Name", "")
            variables[var_name] = DefineVariable(
                name=var_name,
                data_type=item.get("DataType", ""),
                length=int(length) if length and length.isdigit() else None,
                label=_text(item.find("odm:Description", ns)),
                mandatory=ref.get("Mandatory") == "Yes",
                order=int(order) if order and order.isdigit() else None,
                codelist=codelist_ref.get("CodeListOID") if codelist_ref is not None else None,
            )
        datasets[name] = DefineDataset(name=name, label=label or (_def_attr(group, "Label") or ""), variables=variables)
    return Define(path=str(path), datasets=datasets, codelists=codelists)


_ITEM_TAGS = {"CodeListItem", "EnumeratedItem"}
