"""Parse an untrusted XML file safely: size limit, no DTD loading, no network, no entity expansion, no huge trees.

A DOCTYPE that declares entities (billion laughs, external entities) is refused before lxml ever sees the file, and
again after parsing from the parsed internal subset, so no entity is expanded or fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from trialinterop.errors import InputError
from trialinterop.issues import Issue, Severity

MAX_XML_BYTES = 512 * 1024**2
_PROLOG_BYTES = 1024**2
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _fail(path: Path, message: str, line: int | None = None) -> InputError:
    issue = Issue("ODM-XML", Severity.REJECT, message, where=str(path), key=f"line {line}" if line else "")
    return InputError([issue], summary=f"cannot read {path}")


def parse_untrusted_xml(path: str | Path, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """The parsed document, or InputError naming the file (and line) when it is too big, unsafe or malformed."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(path, f"cannot open: {exc.strerror or exc}") from None
    if not path.is_file():
        raise _fail(path, "not a file")
    if size > max_bytes:
        raise _fail(path, f"file is {size} bytes, above the limit of {max_bytes} bytes")
    with path.open("rb") as handle:
        head = handle.read(_PROLOG_BYTES)
    doctype = _DOCTYPE.search(head)
    if doctype and _ENTITY.search(head, doctype.start()):
        line = head[: doctype.start()].count(b"\n") + 1
        raise _fail(
            path, "DOCTYPE with ENTITY declarations is not accepted (entity expansion / external entities)", line
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise _fail(path, f"malformed XML: {exc.msg}", exc.lineno) from None
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc}") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # type: ignore[union-attr]  # lxml-stubs' DTD lacks iterentities()
        raise _fail(path, "DOCTYPE with ENTITY declarations is not accepted (entity expansion / external entities)", 1)
    return tree
