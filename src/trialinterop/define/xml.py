"""Namespaces and a tiny element helper for building Define-XML with lxml (attributes with None are left out)."""

from __future__ import annotations

from lxml import etree

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}


def qname(tag: str) -> str:
    """`def:leaf` -> Clark notation; plain names are in the ODM namespace."""
    prefix, _, local = tag.rpartition(":")
    namespace = {"": ODM_NS, "def": DEF_NS, "xlink": XLINK_NS, "xml": XML_NS}[prefix]
    return f"{{{namespace}}}{local}"


def element(tag: str, attributes: dict[str, object | None] | None = None, *children: etree._Element) -> etree._Element:
    node = etree.Element(qname(tag), nsmap=NSMAP)  # type: ignore[arg-type]  # lxml-stubs lack the None (default namespace) key
    for name, value in (attributes or {}).items():
        if value is not None and value != "":
            node.set(qname(name) if ":" in name else name, str(value))
    for child in children:
        node.append(child)
    return node


def translated(tag: str, text: str) -> etree._Element:
    """<Description><TranslatedText xml:lang="en">text</TranslatedText></Description> (or Decode, def:title...)."""
    node = element(tag)
    inner = element("TranslatedText", {"xml:lang": "en"})
    inner.text = text
    node.append(inner)
    return node
