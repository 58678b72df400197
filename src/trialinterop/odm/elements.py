"""ODM element helpers shared by the reader and `odm-inspect`: local names, vendor attributes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"


def local_name(el: Any) -> str:
    """Local name of an ODM element; '' for comments, processing instructions and foreign-namespace extensions."""
    if not isinstance(el.tag, str):
        return ""
    qname = etree.QName(el)
    return qname.localname if qname.namespace in (ODM_NS, None) else ""


def vendor_attributes(el: etree._Element) -> Iterator[tuple[str, str]]:
    """The namespaced (vendor) attributes of an element as (`prefix:Name`, value), the prefix as the export declares
    it (e.g. `OpenClinica:StudySubjectID`); W3C namespaces (xml:, xsi:) are no vendor's."""
    for qname, value in el.attrib.items():
        name = str(qname)
        if name.startswith("{") and not name.startswith("{http://www.w3.org/"):
            namespace, local = name[1:].split("}", 1)
            prefix = next((p for p, uri in el.nsmap.items() if uri == namespace and p), None)
            yield (f"{prefix}:{local}" if prefix else name), str(value)
