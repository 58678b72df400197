"""Write define.xml: build, check against the XSD and OID integrity, and only then write (atomically)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from lxml import etree

from trialinterop.atomic import staged_file
from trialinterop.define.build import build_define
from trialinterop.define.check import check_define
from trialinterop.define.html import render_define_html
from trialinterop.errors import ConformanceError
from trialinterop.spec import Spec


def define_bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_define(
    spec: Spec, frames: Mapping[str, pd.DataFrame], out_dir: str | Path, *, files: Mapping[str, str] | None = None
) -> Path:
    """`<out_dir>/define.xml` for the written `frames`; ConformanceError (no file) if the document is invalid."""
    tree = build_define(spec, frames, files=files)
    issues = check_define(tree)
    if issues:
        raise ConformanceError(issues, summary="define.xml not written")
    destination = Path(out_dir) / "define.xml"
    with staged_file(destination) as temp:
        temp.write_bytes(define_bytes(tree))
    return destination


def write_define_html(define_path: str | Path) -> Path:
    """`define.html` beside a written define.xml, rendered from that file (so it shows what was written)."""
    define_path = Path(define_path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.parse(str(define_path), parser)
    destination = define_path.with_name("define.html")
    with staged_file(destination) as temp:
        temp.write_text(render_define_html(tree), encoding="utf-8")
    return destination
