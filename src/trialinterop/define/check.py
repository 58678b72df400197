"""Checks a Define-XML document must pass before it is written: the official XSD and OID integrity.

The Define-XML 2.1 schemas (with the ODM 1.3.2 schemas they extend) are the ones the odmlib package ships; they are
loaded from there with network access and entity resolution disabled.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from functools import cache
from pathlib import Path

from lxml import etree

from trialinterop.define.xml import DEF_NS, ODM_NS
from trialinterop.errors import TrialInteropError
from trialinterop.issues import Issue, Severity

SCHEMA_RELATIVE = Path("schemas/define/2.1/define2-1-0.xsd")


def define_schema_path() -> Path:
    spec = importlib.util.find_spec("odmlib")
    if spec is None or not spec.submodule_search_locations:
        raise TrialInteropError("Define-XML 2.1 schema not available: install odmlib (it ships the CDISC XSDs)")
    path = Path(next(iter(spec.submodule_search_locations))) / SCHEMA_RELATIVE
    if not path.is_file():
        raise TrialInteropError(f"Define-XML 2.1 schema not found at {path}")
    return path


@cache
def _schema(path_text: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.XMLSchema(etree.parse(path_text, parser))


def check_define_schema(tree: etree._ElementTree) -> list[Issue]:
    schema = _schema(str(define_schema_path()))
    if schema.validate(tree):
        return []
    return [
        Issue(
            "TI-DEF001", Severity.ERROR, f"Define-XML 2.1 schema: {error.message}", "define.xml", f"line {error.line}"
        )
        for error in schema.error_log  # type: ignore[attr-defined]  # lxml-stubs' _ErrorLog lacks __iter__
    ]


# (element, attribute holding an OID reference, element, attribute defining that OID)
_REFERENCES = (
    ("ItemRef", "ItemOID", "ItemDef", "OID"),
    ("def:WhereClauseRef", "WhereClauseOID", "def:WhereClauseDef", "OID"),
    ("def:ValueListRef", "ValueListOID", "def:ValueListDef", "OID"),
    ("CodeListRef", "CodeListOID", "CodeList", "OID"),
    ("*", "MethodOID", "MethodDef", "OID"),
    ("*", "def:CommentOID", "def:CommentDef", "OID"),
    ("*", "def:StandardOID", "def:Standard", "OID"),
    ("ItemGroupDef", "def:ArchiveLocationID", "def:leaf", "ID"),
    ("RangeCheck", "def:ItemOID", "ItemDef", "OID"),
)
_NS = {"odm": ODM_NS, "def": DEF_NS}


def _xpath_name(tag: str) -> str:
    if tag == "*":
        return "*"
    return tag if tag.startswith("def:") else f"odm:{tag}"


def _attribute(name: str) -> str:
    return f"{{{DEF_NS}}}{name[4:]}" if name.startswith("def:") else name


def check_define_references(tree: etree._ElementTree) -> list[Issue]:
    """Every OID reference resolves; every definition is referenced at least once; no OID is defined twice."""
    root = tree.getroot()
    issues: list[Issue] = []
    referenced: dict[tuple[str, str], set[str]] = {}
    for ref_tag, ref_attr, def_tag, def_attr in _REFERENCES:
        defined = [n.get(_attribute(def_attr)) for n in root.iterfind(f".//{_xpath_name(def_tag)}", _NS)]
        for oid, count in Counter(defined).items():
            if count > 1:
                issues.append(
                    Issue("TI-DEF003", Severity.ERROR, f"{def_tag} {oid} defined {count} times", "define.xml")
                )
        targets = set(defined)
        refs = {
            oid
            for n in root.iterfind(f".//{_xpath_name(ref_tag)}", _NS)
            if (oid := n.get(_attribute(ref_attr))) is not None
        }
        for missing in sorted(refs - targets):
            issues.append(Issue("TI-DEF002", Severity.ERROR, f"{ref_attr} {missing} does not resolve", "define.xml"))
        referenced.setdefault((def_tag, def_attr), set()).update(refs)
    for (def_tag, def_attr), refs in referenced.items():
        if def_tag == "ItemDef":
            continue  # ItemDef is referenced by ItemRef; RangeCheck references are extra uses, checked below
        for node in root.iterfind(f".//{_xpath_name(def_tag)}", _NS):
            oid = node.get(_attribute(def_attr))
            if oid not in refs:
                issues.append(Issue("TI-DEF004", Severity.ERROR, f"{def_tag} {oid} is never referenced", "define.xml"))
    item_refs = {n.get("ItemOID") for n in root.iterfind(".//odm:ItemRef", _NS)}
    for node in root.iterfind(".//odm:ItemDef", _NS):
        if node.get("OID") not in item_refs:
            issues.append(
                Issue("TI-DEF004", Severity.ERROR, f"ItemDef {node.get('OID')} is never referenced", "define.xml")
            )
    return issues


def check_define(tree: etree._ElementTree) -> list[Issue]:
    return check_define_schema(tree) + check_define_references(tree)
