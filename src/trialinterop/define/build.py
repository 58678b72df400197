"""Build the Define-XML 2.1 document (lxml, in schema order) from the spec and the frames actually written.

What is described is what was written: datasets and variables present in the frames, lengths from the data,
value-level entries whose where-values occur in the data, and only the codelists, methods and comments that those
reference. OIDs come from `trialinterop.define.oids`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from lxml import etree

from trialinterop.ct import Codelist
from trialinterop.define import oids
from trialinterop.define.lengths import value_length
from trialinterop.define.xml import element, qname, translated
from trialinterop.spec import Spec, ValueLevelSpec, VariableSpec
from trialinterop.text_columns import is_categorical, text_codes

DEFINE_VERSION = "2.1.0"
DEFINE_XML_CT_CODELISTS = frozenset({"C170449", "C170450"})
"""Codelists published in the Define-XML CT package (origin type/source); every other coded list is SDTM CT."""

_COLLECTED_SOURCES = ("Subject", "Investigator", "Vendor", "Sponsor")


@dataclass(frozen=True)
class _ValueItem:
    entry: ValueLevelSpec
    oid: str
    where_oid: str
    values: pd.Series


def build_define(
    spec: Spec, frames: Mapping[str, pd.DataFrame], *, files: Mapping[str, str] | None = None
) -> etree._ElementTree:
    """The Define-XML tree for `frames` (dataset -> conformed frame); `files` maps dataset -> written file name."""
    settings = spec.study
    names = [n for n in spec.dataset_names if n in frames]
    files = dict(files or {n: f"{spec.dataset(n).file_name}.xpt" for n in names})
    ig_std = oids.standard_oid(settings.ig_name, settings.ig_version)
    ct_std = {ref.publishing_set: oids.standard_oid(f"CT.{ref.publishing_set}", ref.version) for ref in settings.ct}

    value_items = {n: _value_items(spec, n, frames[n]) for n in names}
    used_codelists: dict[str, set[str]] = {}
    used_methods: set[str] = set()
    used_comments: set[str] = set()

    def use_codelist(name: str, data_type: str) -> None:
        if name:
            used_codelists.setdefault(name, set()).add(data_type)

    def use(method_id: str, comment_id: str) -> None:
        if method_id:
            used_methods.add(method_id)
        if comment_id:
            used_comments.add(comment_id)

    item_groups, item_defs = [], []
    for name in names:
        dataset = spec.dataset(name)
        frame = frames[name]
        use("", dataset.comment_id)
        group = element(
            "ItemGroupDef",
            {
                "OID": oids.itemgroup_oid(name),
                "Name": name,
                "Repeating": "Yes" if dataset.repeating else "No",
                "IsReferenceData": "Yes" if dataset.reference_data else "No",
                "SASDatasetName": name,
                "Domain": name[4:] if name.startswith("SUPP") else name,
                "Purpose": "Tabulation",
                "def:Structure": dataset.structure,
                "def:ArchiveLocationID": oids.leaf_id(name),
                "def:StandardOID": ig_std,
                "def:CommentOID": oids.comment_oid(dataset.comment_id) if dataset.comment_id else None,
            },
            translated("Description", dataset.label),
        )
        keys = {key: position for position, key in enumerate(dataset.keys, start=1)}
        for order, column in enumerate(frame.columns, start=1):
            variable = spec.variable(name, str(column))
            empty = _has_no_data(frame[column])
            group.append(
                element(
                    "ItemRef",
                    {
                        "ItemOID": oids.item_oid(name, variable.name),
                        "OrderNumber": order,
                        "Mandatory": "Yes" if variable.core == "Req" else "No",
                        "KeySequence": keys.get(variable.name),
                        "MethodOID": oids.method_oid(variable.method_id) if variable.method_id else None,
                        "Role": variable.role,
                        "def:HasNoData": "Yes" if empty else None,
                    },
                )
            )
            use(variable.method_id, variable.comment_id)
            use_codelist(variable.codelist, variable.data_type)
            has_values = any(v.entry.variable == variable.name for v in value_items[name])
            item_defs.append(_item_def(spec, variable, frame[column], has_values))
        if name.startswith("SUPP"):
            parent = name[4:]
            parent_label = spec.dataset(parent).label if parent in spec.dataset_names else parent
            group.append(element("Alias", {"Context": "DomainDescription", "Name": parent_label}))
        group.append(element("def:Class", {"Name": dataset.cls}))
        leaf = element("def:leaf", {"ID": oids.leaf_id(name), "xlink:href": files[name]})
        leaf.append(translated_title(files[name]))
        group.append(leaf)
        item_groups.append(group)

    value_lists, where_clauses, value_defs = [], [], []
    for name in names:
        by_variable: dict[str, list[_ValueItem]] = {}
        for item in value_items[name]:
            by_variable.setdefault(item.entry.variable, []).append(item)
        for variable_name, items in by_variable.items():
            value_list = element("def:ValueListDef", {"OID": oids.valuelist_oid(name, variable_name)})
            for order, item in enumerate(items, start=1):
                entry = item.entry
                ref = element(
                    "ItemRef",
                    {
                        "ItemOID": item.oid,
                        "OrderNumber": order,
                        "Mandatory": "Yes" if entry.mandatory else "No",
                        "MethodOID": oids.method_oid(entry.method_id) if entry.method_id else None,
                    },
                )
                ref.append(element("def:WhereClauseRef", {"WhereClauseOID": item.where_oid}))
                value_list.append(ref)
                where_clauses.append(_where_clause(name, item))
                value_defs.append(_value_item_def(spec, item))
                use(entry.method_id, entry.comment_id)
                use_codelist(entry.codelist, entry.data_type)
            value_lists.append(value_list)

    codelists = [_codelist(spec, n, used_codelists[n], ct_std) for n in sorted(used_codelists)]
    methods = [_method(spec, m) for m in sorted(used_methods)]
    comments = [_comment(spec, c) for c in sorted(used_comments)]

    mdv = element(
        "MetaDataVersion",
        {
            "OID": settings.metadata_version_oid,
            "Name": settings.metadata_version_name,
            "def:DefineVersion": DEFINE_VERSION,
        },
    )
    referenced = {c.get(qname("def:StandardOID")) for c in codelists}
    mdv.append(_standards(settings, ig_std, {k: v for k, v in ct_std.items() if v in referenced}))
    for node in [*value_lists, *where_clauses, *item_groups, *item_defs, *value_defs, *codelists, *methods, *comments]:
        mdv.append(node)

    study = element("Study", {"OID": settings.study_oid})
    global_variables = element("GlobalVariables")
    for tag, text in (
        ("StudyName", settings.study_name),
        ("StudyDescription", settings.study_description),
        ("ProtocolName", settings.protocol_name),
    ):
        node = element(tag)
        node.text = text
        global_variables.append(node)
    study.append(global_variables)
    study.append(mdv)
    root = element(
        "ODM",
        {
            "FileType": "Snapshot",
            "FileOID": settings.define_file_oid,
            "CreationDateTime": settings.define_creation_datetime,
            "ODMVersion": "1.3.2",
            "Originator": settings.define_originator,
            "SourceSystem": settings.define_source_system,
            "SourceSystemVersion": settings.define_source_system_version,
            "def:Context": settings.define_context,
        },
        study,
    )
    return etree.ElementTree(root)


def translated_title(text: str) -> etree._Element:
    title = element("def:title")
    title.text = text
    return title


def _standards(settings, ig_std: str, ct_std: dict[str, str]) -> etree._Element:
    standards = element("def:Standards")
    standards.append(
        element(
            "def:Standard",
            {"OID": ig_std, "Name": settings.ig_name, "Type": "IG", "Version": settings.ig_version, "Status": "Final"},
        )
    )
    for ref in settings.ct:
        if ref.publishing_set not in ct_std:
            continue  # a CT package no codelist of this package uses is not listed (no unused definitions)
        standards.append(
            element(
                "def:Standard",
                {
                    "OID": ct_std[ref.publishing_set],
                    "Name": "CDISC/NCI",
                    "Type": "CT",
                    "PublishingSet": ref.publishing_set,
                    "Version": ref.version,
                    "Status": "Final",
                },
            )
        )
    return standards


def _origin(origin: str, source: str, collected_source: str) -> etree._Element:
    attributes: dict[str, object | None] = {"Type": origin}
    if origin == "Collected" and collected_source in _COLLECTED_SOURCES:
        attributes["Source"] = collected_source
    elif origin == "Assigned":
        attributes["Source"] = "Sponsor"
    node = element("def:Origin", attributes)
    if source:
        node.append(translated("Description", source))
    return node


def _item_def(spec: Spec, variable: VariableSpec, values: pd.Series, has_values: bool) -> etree._Element:
    length, digits = value_length(values, variable.data_type)
    node = element(
        "ItemDef",
        {
            "OID": oids.item_oid(variable.dataset, variable.name),
            "Name": variable.name,
            "DataType": variable.data_type,
            "Length": length,
            "SignificantDigits": digits,
            "SASFieldName": variable.name,
            "def:CommentOID": oids.comment_oid(variable.comment_id) if variable.comment_id else None,
        },
        translated("Description", variable.label),
    )
    if variable.codelist:
        node.append(element("CodeListRef", {"CodeListOID": oids.codelist_oid(variable.codelist)}))
    node.append(_origin(variable.origin, variable.source, spec.study.collected_origin_source))
    if has_values:
        node.append(element("def:ValueListRef", {"ValueListOID": oids.valuelist_oid(variable.dataset, variable.name)}))
    return node


def _has_no_data(values: pd.Series) -> bool:
    """Every value missing (def:HasNoData); a text column is usually settled by its first values."""
    if not len(values):
        return True
    if is_categorical(values):
        return bool((values.cat.codes.to_numpy() < 0).all())
    if values.dtype == object and not pd.isna(values.iloc[:64].to_numpy()).all():
        return False
    return bool(values.isna().all())


def _value_items(spec: Spec, dataset: str, frame: pd.DataFrame) -> list[_ValueItem]:
    """Value-level entries whose where-values occur in the written data (others describe nothing)."""
    items = []
    selectors: dict[str, _Selector] = {}  # each where-variable is examined once for all entries that use it
    for entry in spec.value_level(dataset):
        if entry.variable not in frame.columns or entry.where_variable not in frame.columns:
            continue
        if entry.where_variable not in selectors:
            selectors[entry.where_variable] = _Selector(frame[entry.where_variable])
        mask, present = selectors[entry.where_variable].matching_rows(entry)
        if not mask.any():
            continue
        first = entry.where_values[0]
        items.append(
            _ValueItem(
                entry=replace(entry, where_values=tuple(present)),
                oid=oids.value_item_oid(dataset, entry.variable, first),
                where_oid=oids.whereclause_oid(dataset, entry.variable, first),
                values=frame[entry.variable][np.asarray(mask, dtype=bool)],
            )
        )
    return items


class _Selector:
    """A where-variable's column. A text column is factorized once: an entry's rows are then found from the codes of
    the distinct values it matches (same result as comparing every row); other columns are compared row by row."""

    def __init__(self, values: pd.Series) -> None:
        self.values = values
        self.codes: np.ndarray | None = None
        if values.dtype == object or is_categorical(values):
            try:
                codes, distinct = text_codes(values)
            except TypeError:  # unhashable values
                return
            if pd.api.types.infer_dtype(distinct, skipna=True) in ("string", "empty"):
                self.codes, self.distinct = codes, distinct.tolist()
                self.known = set(self.distinct)

    def matching_rows(self, entry: ValueLevelSpec) -> tuple[np.ndarray | pd.Series, list[str]]:
        """Rows whose selector matches `entry`, and the entry's where-values that occur."""
        if self.codes is None:
            mask = self.values.map(lambda v: entry.matches(v))
            return mask, [v for v in entry.where_values if (self.values == v).any()]
        chosen = np.zeros(len(self.distinct) + 1, dtype=bool)  # the extra last slot is code -1, null: never chosen
        chosen[[i for i, v in enumerate(self.distinct) if entry.matches(v)]] = True
        return chosen[self.codes], [v for v in entry.where_values if v in self.known]


def _where_clause(dataset: str, item: _ValueItem) -> etree._Element:
    entry = item.entry
    comparator = "EQ" if len(entry.where_values) == 1 else "IN"
    check = element(
        "RangeCheck",
        {"Comparator": comparator, "SoftHard": "Soft", "def:ItemOID": oids.item_oid(dataset, entry.where_variable)},
    )
    for value in entry.where_values:
        node = element("CheckValue")
        node.text = value
        check.append(node)
    return element("def:WhereClauseDef", {"OID": item.where_oid}, check)


def _value_item_def(spec: Spec, item: _ValueItem) -> etree._Element:
    entry = item.entry
    length, digits = value_length(item.values, entry.data_type)
    if not spec.variable(item.entry.dataset, entry.variable).is_numeric and entry.data_type in ("integer", "float"):
        length = value_length(item.values, "text")[0]  # numbers held as text: Length counts characters
    description = entry.label
    if entry.minimum is not None or entry.maximum is not None:
        low = "" if entry.minimum is None else f"{entry.minimum:g}"
        high = "" if entry.maximum is None else f"{entry.maximum:g}"
        description = f"{entry.label} (range {low} to {high})"
    node = element(
        "ItemDef",
        {
            "OID": item.oid,
            "Name": entry.variable,
            "DataType": entry.data_type,
            "Length": length,
            "SignificantDigits": digits,
            "SASFieldName": entry.variable,
            "def:CommentOID": oids.comment_oid(entry.comment_id) if entry.comment_id else None,
        },
        translated("Description", description),
    )
    if entry.codelist:
        node.append(element("CodeListRef", {"CodeListOID": oids.codelist_oid(entry.codelist)}))
    node.append(_origin(entry.origin, entry.source, spec.study.collected_origin_source))
    return node


def _codelist(spec: Spec, name: str, data_types: set[str], ct_std: dict[str, str]) -> etree._Element:
    numeric = data_types <= {"integer", "float"}
    data_type = ("float" if "float" in data_types else "integer") if numeric else "text"
    if spec.is_dictionary(name):
        dictionary = spec.dictionaries[name]
        node = element(
            "CodeList",
            {
                "OID": oids.codelist_oid(name),
                "Name": dictionary.dictionary,
                "DataType": data_type,
                "def:IsNonStandard": "Yes",
            },
        )
        node.append(element("ExternalCodeList", {"Dictionary": dictionary.dictionary, "Version": dictionary.version}))
        return node
    codelist: Codelist | None = spec.codelist(name)
    assert codelist is not None
    standard = None
    if codelist.code:
        standard = ct_std.get("DEFINE-XML" if codelist.code in DEFINE_XML_CT_CODELISTS else "SDTM")
    node = element(
        "CodeList",
        {
            "OID": oids.codelist_oid(name),
            "Name": codelist.title,
            "DataType": data_type,
            "def:StandardOID": standard,
            "def:IsNonStandard": None if standard else "Yes",
        },
    )
    enumerated = all(term.decode == term.value for term in codelist.terms)
    for order, term in enumerate(codelist.terms, start=1):
        extended = "Yes" if codelist.code and not term.code else None
        attributes = {"CodedValue": term.value, "OrderNumber": order, "def:ExtendedValue": extended}
        if enumerated:
            item = element("EnumeratedItem", attributes)
        else:
            item = element("CodeListItem", attributes, translated("Decode", term.decode or term.value))
        if term.code:
            item.append(element("Alias", {"Context": "nci:ExtCodeID", "Name": term.code}))
        node.append(item)
    if codelist.code:
        node.append(element("Alias", {"Context": "nci:ExtCodeID", "Name": codelist.code}))
    return node


def _method(spec: Spec, method_id: str) -> etree._Element:
    method = spec.method(method_id)
    return element(
        "MethodDef",
        {"OID": oids.method_oid(method.id), "Name": method.name, "Type": method.type},
        translated("Description", method.description),
    )


def _comment(spec: Spec, comment_id: str) -> etree._Element:
    comment = spec.comment(comment_id)
    return element(
        "def:CommentDef", {"OID": oids.comment_oid(comment.id)}, translated("Description", comment.description)
    )
