"""A plain HTML view of define.xml (own minimal template, no XSLT): one table per dataset, then value-level
metadata, codelists, methods and comments. It is read from the Define-XML tree, so it shows exactly what was written.
"""

from __future__ import annotations

from html import escape

from lxml import etree

from trialinterop.define.xml import DEF_NS, ODM_NS, XLINK_NS

_NS = {"odm": ODM_NS, "def": DEF_NS}
_STYLE = (
    "body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse;margin-bottom:1.5em}"
    "td,th{border:1px solid #999;padding:2px 6px;vertical-align:top}th{background:#e8e8f0}"
)


def _text(node: etree._Element | None, path: str = "odm:Description/odm:TranslatedText") -> str:
    if node is None:
        return ""
    found = node.find(path, _NS)
    return found.text or "" if found is not None else ""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _item_rows(mdv: etree._Element, refs: list[etree._Element], items: dict[str, etree._Element]) -> list[list[str]]:
    rows = []
    for ref in refs:
        item = items[ref.get("ItemOID", "")]
        origin = item.find("def:Origin", _NS)
        codelist = item.find("odm:CodeListRef", _NS)
        where = ref.find("def:WhereClauseRef", _NS)
        condition = ""
        if where is not None:
            clause = mdv.find(f"def:WhereClauseDef[@OID='{where.get('WhereClauseOID')}']/odm:RangeCheck", _NS)
            if clause is None:
                raise ValueError(f"define.xml has no WhereClauseDef {where.get('WhereClauseOID')} with a RangeCheck")
            values = ", ".join(v.text or "" for v in clause.findall("odm:CheckValue", _NS))
            condition = (
                f"{clause.get(f'{{{DEF_NS}}}ItemOID', '').rsplit('.', 1)[-1]} {clause.get('Comparator')} {values}"
            )
        rows.append(
            [
                *([condition] if where is not None else []),
                item.get("Name", ""),
                _text(item),
                item.get("DataType", ""),
                item.get("Length") or "",
                ref.get("KeySequence") or "",
                "Yes" if ref.get("Mandatory") == "Yes" else "No",
                codelist.get("CodeListOID", "") if codelist is not None else "",
                (origin.get("Type", "") if origin is not None else "")
                + (f" ({_text(origin)})" if _text(origin) else ""),
                ref.get("MethodOID") or "",
            ]
        )
    return rows


def render_define_html(tree: etree._ElementTree) -> str:
    root = tree.getroot()
    mdv = root.find(".//odm:MetaDataVersion", _NS)
    if mdv is None:
        raise ValueError("define.xml has no MetaDataVersion")
    items = {i.get("OID", ""): i for i in mdv.iterfind("odm:ItemDef", _NS)}
    headers = ["Variable", "Label", "Type", "Length", "Key", "Mandatory", "Codelist", "Origin", "Method"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(_text(root, './/odm:StudyName') or 'Define-XML')}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(root.findtext('.//odm:StudyName', '', _NS))}: {escape(mdv.get('Name', ''))}</h1>",
        f"<p>{escape(root.findtext('.//odm:StudyDescription', '', _NS))}</p>",
    ]
    standards = [[s.get("Name", ""), s.get("Type", ""), s.get("PublishingSet") or "", s.get("Version", "")]
                 for s in mdv.iterfind("def:Standards/def:Standard", _NS)]  # fmt: skip
    parts += ["<h2>Standards</h2>", _table(["Name", "Type", "Publishing set", "Version"], standards)]
    parts.append("<h2>Datasets</h2>")
    for group in mdv.iterfind("odm:ItemGroupDef", _NS):
        leaf = group.find("def:leaf", _NS)
        href = leaf.get(f"{{{XLINK_NS}}}href", "") if leaf is not None else ""
        cls = group.find("def:Class", _NS)
        parts.append(
            f"<h3 id='{escape(group.get('OID', ''))}'>{escape(group.get('Name', ''))} — {escape(_text(group))} "
            f"<small>({escape(cls.get('Name', '') if cls is not None else '')}; {escape(href)})</small></h3>"
            f"<p>{escape(group.get(f'{{{DEF_NS}}}Structure', ''))}</p>"
        )
        parts.append(_table(headers, _item_rows(mdv, group.findall("odm:ItemRef", _NS), items)))
    value_lists = list(mdv.iterfind("def:ValueListDef", _NS))
    if value_lists:
        parts.append("<h2>Value-level metadata</h2>")
        for value_list in value_lists:
            parts.append(f"<h3>{escape(value_list.get('OID', ''))}</h3>")
            parts.append(_table(["Where", *headers], _item_rows(mdv, value_list.findall("odm:ItemRef", _NS), items)))
    parts.append("<h2>Codelists</h2>")
    for codelist in mdv.iterfind("odm:CodeList", _NS):
        alias = codelist.find("odm:Alias", _NS)
        code = f" [{alias.get('Name')}]" if alias is not None else ""
        parts.append(f"<h3>{escape(codelist.get('OID', ''))} — {escape(codelist.get('Name', ''))}{escape(code)}</h3>")
        external = codelist.find("odm:ExternalCodeList", _NS)
        if external is not None:
            parts.append(f"<p>External dictionary {escape(external.get('Dictionary', ''))} "
                         f"version {escape(external.get('Version', ''))}</p>")  # fmt: skip
            continue
        rows = []
        for term in codelist:
            if term.tag in (f"{{{ODM_NS}}}CodeListItem", f"{{{ODM_NS}}}EnumeratedItem"):
                term_alias = term.find("odm:Alias", _NS)
                decode = _text(term, "odm:Decode/odm:TranslatedText")
                rows.append(
                    [term.get("CodedValue", ""), decode, term_alias.get("Name", "") if term_alias is not None else ""]
                )
        parts.append(_table(["Value", "Decode", "NCI code"], rows))
    methods = [
        [m.get("OID", ""), m.get("Name", ""), m.get("Type", ""), _text(m)] for m in mdv.iterfind("odm:MethodDef", _NS)
    ]
    parts += ["<h2>Methods</h2>", _table(["OID", "Name", "Type", "Description"], methods)]
    comments = [[c.get("OID", ""), _text(c)] for c in mdv.iterfind("def:CommentDef", _NS)]
    parts += ["<h2>Comments</h2>", _table(["OID", "Description"], comments), "</body></html>"]
    return "\n".join(parts) + "\n"
