"""Define-XML 2.1: schema-valid (official XSD from odmlib), every OID resolves, every definition is used."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from test_spec_sample_frames import sample_frames
from trialinterop.define import build as define_build
from trialinterop.define import write as define_write
from trialinterop.define.build import build_define
from trialinterop.define.check import check_define, check_define_references, check_define_schema
from trialinterop.define.write import write_define
from trialinterop.definition import bundled_definition
from trialinterop.errors import ConformanceError
from trialinterop.sdtm.conform import conform
from trialinterop.spec import load_spec

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="module")
def spec():
    """NCT05016804's specification: value-level metadata and test codelists from its study definition."""
    return load_spec(definition=bundled_definition("NCT05016804"))


@pytest.fixture(scope="module")
def frames(spec):
    conformed, _ = conform(sample_frames(), spec)
    return conformed


@pytest.fixture()
def tree(spec, frames):
    return build_define(spec, frames)


def _one(tree, path: str):
    found = tree.getroot().findall(path, NS)
    assert len(found) == 1, (path, len(found))
    return found[0]


def test_sample_define_is_valid(tree) -> None:
    assert check_define_schema(tree) == []
    assert check_define_references(tree) == []


def test_study_and_standards(tree) -> None:
    root = tree.getroot()
    assert root.get("FileOID") == "DEF.NCT05016804.SDTM"
    assert root.get("CreationDateTime") == "2026-01-01T00:00:00"
    assert root.get("{http://www.cdisc.org/ns/def/v2.1}Context") == "Submission"
    assert _one(tree, ".//odm:StudyName").text == "NCT05016804"
    standards = [(s.get("Name"), s.get("Type"), s.get("PublishingSet"), s.get("Version"))
                 for s in root.findall(".//def:Standard", NS)]  # fmt: skip
    assert standards == [
        ("SDTMIG", "IG", None, "3.4"),
        ("CDISC/NCI", "CT", "SDTM", "2025-03-28"),
        ("CDISC/NCI", "CT", "DEFINE-XML", "2025-03-28"),
    ]


def test_item_groups_in_spec_order_with_class_keys_and_leaf(tree) -> None:
    groups = tree.getroot().findall(".//odm:ItemGroupDef", NS)
    assert [g.get("OID") for g in groups] == ["IG.DM", "IG.AE", "IG.QS", "IG.RE", "IG.TS", "IG.SUPPDM", "IG.SUPPAE"]
    ae = groups[1]
    assert ae.get("{http://www.cdisc.org/ns/def/v2.1}Structure") == "One record per adverse event per subject"
    assert ae.find("def:Class", NS).get("Name") == "EVENTS"
    assert ae.find("def:leaf", NS).get(XLINK_HREF) == "ae.xpt"
    keys = {r.get("ItemOID"): r.get("KeySequence") for r in ae.findall("odm:ItemRef", NS) if r.get("KeySequence")}
    assert keys == {"IT.AE.STUDYID": "1", "IT.AE.USUBJID": "2", "IT.AE.AEDECOD": "3", "IT.AE.AESTDTC": "4"}
    aesdy = _one(tree, ".//odm:ItemGroupDef[@OID='IG.AE']/odm:ItemRef[@ItemOID='IT.AE.AESTDY']")
    assert aesdy.get("MethodOID") == "MT.STUDYDAY"
    assert groups[5].get("Domain") == "DM"
    assert groups[5].find("odm:Alias", NS).get("Name") == "Demographics"


def test_dropped_perm_variables_are_not_described_and_null_ones_have_no_data(tree) -> None:
    assert tree.getroot().findall(".//odm:ItemDef[@OID='IT.QS.QSDRVFL']", NS) == []
    brthdtc = _one(tree, ".//odm:ItemGroupDef[@OID='IG.DM']/odm:ItemRef[@ItemOID='IT.DM.BRTHDTC']")
    assert brthdtc.get("{http://www.cdisc.org/ns/def/v2.1}HasNoData") == "Yes"
    sex = _one(tree, ".//odm:ItemGroupDef[@OID='IG.DM']/odm:ItemRef[@ItemOID='IT.DM.SEX']")
    assert sex.get("{http://www.cdisc.org/ns/def/v2.1}HasNoData") is None


def test_item_defs_take_lengths_from_the_data(tree) -> None:
    usubjid = _one(tree, ".//odm:ItemDef[@OID='IT.DM.USUBJID']")
    assert (usubjid.get("DataType"), usubjid.get("Length"), usubjid.get("SASFieldName")) == ("text", "18", "USUBJID")
    assert _one(tree, ".//odm:ItemDef[@OID='IT.DM.SEX']").get("Length") == "1"
    assert _one(tree, ".//odm:ItemDef[@OID='IT.DM.AGE']").get("Length") == "2"
    restresn = _one(tree, ".//odm:ItemDef[@OID='IT.RE.RESTRESN']")
    assert (restresn.get("DataType"), restresn.get("Length"), restresn.get("SignificantDigits")) == ("float", "3", "2")
    rfstdtc = _one(tree, ".//odm:ItemDef[@OID='IT.DM.RFSTDTC']")
    assert rfstdtc.get("DataType") == "datetime" and rfstdtc.get("Length") is None


def test_origins(tree) -> None:
    sex = _one(tree, ".//odm:ItemDef[@OID='IT.DM.SEX']/def:Origin")
    assert (sex.get("Type"), sex.get("Source")) == ("Collected", "Investigator")
    age = _one(tree, ".//odm:ItemDef[@OID='IT.DM.AGE']/def:Origin")
    assert age.get("Type") == "Derived"
    assert _one(tree, ".//odm:ItemDef[@OID='IT.TS.TSVAL']/def:Origin").get("Type") == "Protocol"


def test_codelists_with_nci_codes_and_external_meddra(tree) -> None:
    sex = _one(tree, ".//odm:CodeList[@OID='CL.SEX']")
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    female = sex.find("odm:CodeListItem[@CodedValue='F']", NS)
    assert female.find("odm:Decode/odm:TranslatedText", NS).text == "Female"
    assert female.find("odm:Alias", NS).get("Name") == "C16576"
    meddra = _one(tree, ".//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList")
    assert (meddra.get("Dictionary"), meddra.get("Version")) == ("MedDRA", "27.1")
    qscat = _one(tree, ".//odm:CodeList[@OID='CL.QSCAT']")
    assert qscat.find("odm:*[@CodedValue='MRSS']", NS).get("{http://www.cdisc.org/ns/def/v2.1}ExtendedValue") == "Yes"
    sponsor = _one(tree, ".//odm:CodeList[@OID='CL.MRSS01TC']")
    assert sponsor.get("{http://www.cdisc.org/ns/def/v2.1}IsNonStandard") == "Yes"
    # only referenced codelists are present
    assert tree.getroot().findall(".//odm:CodeList[@OID='CL.NCOMPLT']", NS) == []


def test_value_level_for_qs_by_test_code_and_supp_by_qnam(tree) -> None:
    refs = tree.getroot().findall(".//def:ValueListDef[@OID='VL.QS.QSORRES']/odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in refs] == ["IT.QS.QSORRES.MRSS0101", "IT.QS.QSORRES.MRSS0118"]
    check = _one(tree, ".//def:WhereClauseDef[@OID='WC.QS.QSORRES.MRSS0101']/odm:RangeCheck")
    assert check.get("Comparator") == "IN"
    assert [v.text for v in check.findall("odm:CheckValue", NS)] == ["MRSS0101", "MRSS0102"]  # values in the data
    assert check.get("{http://www.cdisc.org/ns/def/v2.1}ItemOID") == "IT.QS.QSTESTCD"
    qnam = _one(tree, ".//def:WhereClauseDef[@OID='WC.SUPPAE.QVAL.AETRTEM']/odm:RangeCheck/odm:CheckValue")
    assert qnam.text == "AETRTEM"
    race = tree.getroot().findall(".//def:ValueListDef[@OID='VL.SUPPDM.QVAL']/odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in race] == ["IT.SUPPDM.QVAL.RACE1", "IT.SUPPDM.QVAL.RACE2"]
    fvc = _one(tree, ".//odm:ItemDef[@OID='IT.RE.REORRES.FVC']")
    assert (fvc.get("DataType"), fvc.get("Length")) == ("float", "4")  # "2.85" held as text
    assert _one(tree, ".//odm:ItemDef[@OID='IT.QS.QSORRES']/def:ValueListRef").get("ValueListOID") == "VL.QS.QSORRES"


def test_methods_and_comments_only_when_used(tree) -> None:
    methods = {m.get("OID") for m in tree.getroot().findall(".//odm:MethodDef", NS)}
    assert {"MT.STUDYDAY", "MT.USUBJID", "MT.SEQ"} <= methods
    assert "MT.SE" not in methods  # SE not in the sample package
    comments = {c.get("OID") for c in tree.getroot().findall(".//def:CommentDef", NS)}
    assert "COM.QS" in comments and "COM.EX" not in comments


def test_broken_references_and_orphans_are_found(tree) -> None:
    broken = copy.deepcopy(tree)
    root = broken.getroot()
    method = root.find(".//odm:MethodDef[@OID='MT.STUDYDAY']", NS)
    method.getparent().remove(method)
    orphan = copy.deepcopy(root.find(".//def:CommentDef", NS))
    orphan.set("OID", "COM.ORPHAN")
    root.find(".//odm:MetaDataVersion", NS).append(orphan)
    messages = [(i.rule, i.message) for i in check_define_references(broken)]
    assert ("TI-DEF002", "MethodOID MT.STUDYDAY does not resolve") in messages
    assert ("TI-DEF004", "def:CommentDef COM.ORPHAN is never referenced") in messages


def test_schema_errors_are_reported(tree) -> None:
    broken = copy.deepcopy(tree)
    group = broken.getroot().find(".//odm:ItemGroupDef", NS)
    del group.attrib["Name"]
    issues = check_define_schema(broken)
    assert issues and issues[0].rule == "TI-DEF001" and "'Name' is required" in issues[0].message


def test_write_refuses_an_invalid_document(tmp_path: Path, spec, frames, monkeypatch) -> None:
    real = define_build.build_define

    def broken(*args, **kwargs):
        tree = real(*args, **kwargs)
        tree.getroot().find(".//odm:ItemGroupDef", NS).attrib.pop("Name")
        return tree

    monkeypatch.setattr(define_write, "build_define", broken)
    with pytest.raises(ConformanceError) as caught:
        write_define(spec, frames, tmp_path)
    assert {i.rule for i in caught.value.issues} == {"TI-DEF001"}
    assert list(tmp_path.iterdir()) == []


def test_written_define_is_deterministic_and_parses_safely(tmp_path: Path, spec, frames) -> None:
    first = write_define(spec, frames, tmp_path / "a").read_bytes()
    second = write_define(spec, frames, tmp_path / "b").read_bytes()
    assert first == second
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    assert check_define(etree.ElementTree(etree.fromstring(first, parser))) == []


def test_unused_ct_standard_is_not_listed(spec, frames) -> None:
    tree = build_define(spec, {"DM": frames["DM"], "TS": frames["TS"]})  # no SUPP--: no Define-XML CT codelist
    sets = [s.get("PublishingSet") for s in tree.getroot().findall(".//def:Standard", NS)]
    assert sets == [None, "SDTM"]
    assert check_define(tree) == []


def test_html_view_of_the_written_define(tmp_path: Path, spec, frames) -> None:
    from trialinterop.define.write import write_define_html

    html = write_define_html(write_define(spec, frames, tmp_path)).read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<h3 id='IG.AE'>AE — Adverse Events" in html
    assert "<td>AESTDY</td><td>Study Day of Start of Adverse Event</td><td>integer</td>" in html
    assert "<td>F</td><td>Female</td><td>C16576</td>" in html
    assert "QSTESTCD IN MRSS0101, MRSS0102" in html
    assert "External dictionary MedDRA version 27.1" in html


@pytest.mark.parametrize(
    ("values", "data_type", "expected"),
    [
        (pd.Series(["ab", None, "é", "ab"], dtype=object), "text", (2, None)),  # é is 2 bytes
        (pd.Series(["abc", "éé", None]), "text", (4, None)),
        (pd.Series([1, 1.0, "x"], dtype=object), "text", (3, None)),  # 1 and 1.0 are equal but print differently
        (pd.Series([None, math.nan, ""], dtype=object), "text", (1, None)),
        (pd.Series([1.0, 2.5, math.nan, -0.0, 12.25]), "float", (4, 2)),
        (pd.Series([3.0, 10.0, math.nan]), "integer", (2, None)),
        (pd.Series([7, 123], dtype="Int64"), "integer", (3, None)),
        (pd.Series(["2020-01-01", None], dtype=object), "datetime", (None, None)),
        ((1.5, 22.0, None), "float", (2, 1)),
        ([], "text", (1, None)),
    ],
)
def test_value_length_literals(values, data_type: str, expected) -> None:
    from trialinterop.define.lengths import value_length

    assert value_length(values, data_type) == expected


def test_has_no_data() -> None:
    from trialinterop.define.build import _has_no_data

    assert _has_no_data(pd.Series([], dtype=object))
    assert _has_no_data(pd.Series([None] * 100 + [math.nan], dtype=object))
    assert not _has_no_data(pd.Series([None] * 100 + ["x"], dtype=object))  # found after the first 64 values
    assert not _has_no_data(pd.Series(["x", None], dtype=object))
    assert _has_no_data(pd.Series([math.nan, math.nan]))
    assert not _has_no_data(pd.Series([math.nan, 0.0]))
