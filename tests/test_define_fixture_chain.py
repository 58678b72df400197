"""End to end on the fixture records: build_sdtm -> conform -> XPT + Dataset-JSON + define.xml.

Checks what only a whole package shows: Define lengths equal the XPT variable widths (SD1082), JSON and XPT agree on
record counts, and conform finds nothing worse than NOTICE in the builders' output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from lxml import etree

from test_package_agreement import check_item_length
from trialinterop.ct import load_terminology
from trialinterop.define.build import build_define
from trialinterop.issues import Severity
from trialinterop.sdtm.build import build_sdtm
from trialinterop.sdtm.conform import conform
from trialinterop.source.reader import read_records
from trialinterop.spec import load_spec, with_data_terms
from trialinterop.writers.package import write_package

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture(scope="module")
def package(tmp_path_factory, fixture_records_dir: Path):
    records = read_records(fixture_records_dir)
    spec = load_spec(definition=records.definition)
    frames = build_sdtm(records, load_terminology(), spec=spec)
    out = tmp_path_factory.mktemp("pkg") / "sdtm"
    conformed, issues = conform(frames, spec)
    return write_package(conformed, out, spec=spec, issues=issues, formats=("xpt", "json"))


def test_fixture_package_has_no_warnings_or_errors(package) -> None:
    assert [i.render() for i in package.issues if i.severity >= Severity.WARNING] == []
    for name in ("dm", "ae", "ex", "qs", "re", "ts", "ta", "te", "tv", "ti", "sv", "se", "ds"):
        assert f"{name}.xpt" in package.files and f"{name}.json" in package.files
    assert package.files[-1] == "define.xml"


def test_define_lengths_equal_xpt_widths(package) -> None:
    root = etree.parse(str(package.out_dir / "define.xml")).getroot()
    item_defs = {d.get("OID"): d for d in root.iterfind(".//odm:ItemDef", NS)}
    checked = 0
    for group in root.iterfind(".//odm:ItemGroupDef", NS):
        href = group.find("def:leaf", NS).get("{http://www.w3.org/1999/xlink}href")
        _, meta = pyreadstat.read_xport(str(package.out_dir / href), metadataonly=True)
        for name, kind in meta.readstat_variable_types.items():
            item = item_defs[f"IT.{group.get('Name')}.{name}"]
            checked += check_item_length(item, kind, meta.variable_storage_width[name])  # only dates lack a Length
    assert checked > 100


def test_json_and_xpt_agree_on_records(package) -> None:
    for name, frame in package.frames.items():
        document = json.loads((package.out_dir / f"{name.lower()}.json").read_text("utf-8"))
        data, _ = pyreadstat.read_xport(str(package.out_dir / f"{name.lower()}.xpt"))
        assert document["records"] == len(data) == len(frame), name
        assert [c["name"] for c in document["columns"]] == list(data.columns), name


def test_unplanned_element_term_only_when_the_data_use_it(package, fixture_records_dir: Path) -> None:
    """SDTMIG reserves ETCD UNPLAN for an element outside the planned ones: NCT05016804's data have none, so its ETCD
    list is the definition's three elements; an SE row with UNPLAN adds the term (decoded) to that package's list."""
    etcd = ".//odm:CodeList[@OID='CL.ETCD']/odm:CodeListItem"
    written = etree.parse(str(package.out_dir / "define.xml")).getroot().findall(etcd, NS)
    assert [item.get("CodedValue") for item in written] == ["SCRN", "MSC", "FU"]
    se = package.frames["SE"]
    unplanned = se.iloc[[0]].astype(object).assign(ETCD="UNPLAN", ELEMENT="", SESEQ=9)
    frames = {**package.frames, "SE": pd.concat([se.astype(object), unplanned], ignore_index=True)}
    spec = load_spec(definition=read_records(fixture_records_dir).definition)
    items = build_define(with_data_terms(spec, frames), frames).getroot().findall(etcd, NS)
    assert [item.get("CodedValue") for item in items] == ["SCRN", "MSC", "FU", "UNPLAN"]
    assert items[-1].find("odm:Decode/odm:TranslatedText", NS).text == "Unplanned Element"
