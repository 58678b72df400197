"""Reading packages: XPT v5 and Dataset-JSON with metadata, define.xml, FHIR; malformed input is a clear InputError."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.errors import InputError
from trialinterop.validate.define import read_define
from trialinterop.validate.package import detect_xpt_version, load_package, read_xpt

DM = pd.DataFrame({"STUDYID": ["S1", "S1"], "DOMAIN": ["DM", "DM"], "USUBJID": ["S1-1", "S1-2"], "AGE": [40.0, 51.0]})
LABELS = ["Study Identifier", "Domain Abbreviation", "Unique Subject Identifier", "Age"]


def write_xpt(path: Path, frame: pd.DataFrame = DM, *, version: int | None = 5, labels=LABELS) -> Path:
    kwargs = {"file_format_version": version} if version else {}
    pyreadstat.write_xport(frame, str(path), table_name="DM", file_label="Demographics", column_labels=labels, **kwargs)
    return path


def test_xpt_v5_read_with_metadata(tmp_path):
    ds = read_xpt(write_xpt(tmp_path / "dm.xpt"))
    assert ds.name == "DM"
    assert ds.member == "DM"
    assert ds.label == "Demographics"
    assert [(v.name, v.label, v.type, v.length) for v in ds.variables] == [
        ("STUDYID", "Study Identifier", "Char", 2),
        ("DOMAIN", "Domain Abbreviation", "Char", 2),
        ("USUBJID", "Unique Subject Identifier", "Char", 4),
        ("AGE", "Age", "Num", 8),
    ]
    assert ds.frame["USUBJID"].tolist() == ["S1-1", "S1-2"]


def test_version_from_header_bytes(tmp_path):
    assert detect_xpt_version(write_xpt(tmp_path / "a.xpt")) == 5
    assert detect_xpt_version(write_xpt(tmp_path / "b.xpt", version=None)) == 8


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: write_xpt(p, version=None), "version 8"),
        (lambda p: p.write_text("STUDYID,DOMAIN\nS1,DM\n"), "not a SAS XPORT file"),
        (lambda p: p.write_bytes(write_xpt(p).read_bytes()[:1000]), "truncated"),
        (lambda p: p.write_bytes(write_xpt(p).read_bytes()[:800]), "unreadable SAS XPORT"),
        (lambda p: p.write_bytes(b""), "not a SAS XPORT file"),
    ],
    ids=["v8", "csv-named-xpt", "truncated-mid-record", "truncated-at-record", "empty"],
)
def test_malformed_xpt_is_a_clear_error(tmp_path, make, expected):
    path = tmp_path / "dm.xpt"
    make(path)
    with pytest.raises(InputError) as caught:
        load_package([tmp_path])
    assert expected in str(caught.value)
    assert "dm.xpt" in str(caught.value)


def test_huge_labels_in_v8_file_rejected(tmp_path):
    # only v8 can hold labels over 40 bytes; such a file is refused as v8 before anything else
    path = write_xpt(tmp_path / "dm.xpt", version=None, labels=["L" * 200, "D", "U", "A"])
    with pytest.raises(InputError, match="version 8"):
        read_xpt(path)


def dataset_json(name: str, columns: list[dict], rows: list[list], label: str = "Demographics") -> dict:
    return {"datasetJSONVersion": "1.1.0", "name": name, "label": label, "columns": columns, "rows": rows}


COLUMNS = [
    {"itemOID": "IT.DM.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier", "dataType": "string",
     "length": 4},
    {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "integer"},
]  # fmt: skip


def test_dataset_json_read(tmp_path):
    (tmp_path / "dm.json").write_text(json.dumps(dataset_json("DM", COLUMNS, [["S1-1", 40], ["S1-2", None]])))
    ds = load_package([tmp_path]).datasets["DM"]
    assert [(v.name, v.type, v.length) for v in ds.variables] == [("USUBJID", "Char", 4), ("AGE", "Num", None)]
    assert ds.frame["USUBJID"].tolist() == ["S1-1", "S1-2"]
    assert ds.frame["AGE"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps(dataset_json("DM", COLUMNS, [["S1-1"]])), "row 1: expected a list of 2 values"),
        (json.dumps({"datasetJSONVersion": "1.1.0", "columns": COLUMNS}), "'rows' list"),
        (json.dumps(dataset_json("DM", COLUMNS, [], label="X" * 5000)), "dataset label has 5000 characters"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ],
    ids=["bad-json", "short-row", "no-rows", "huge-label", "deep-nesting"],
)
def test_malformed_dataset_json(tmp_path, document, expected):
    (tmp_path / "dm.json").write_text(document)
    with pytest.raises(InputError, match=expected):
        load_package([tmp_path])


DEFINE = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1">
 <Study OID="S"><MetaDataVersion OID="M" Name="m">
  <ItemGroupDef OID="IG.DM" Name="DM" Repeating="No" def:Structure="One record per subject">
   <Description><TranslatedText>Demographics</TranslatedText></Description>
   <ItemRef ItemOID="IT.DM.USUBJID" OrderNumber="1" Mandatory="Yes"/>
   <ItemRef ItemOID="IT.DM.SEX" OrderNumber="2" Mandatory="Yes"/>
  </ItemGroupDef>
  <ItemDef OID="IT.DM.USUBJID" Name="USUBJID" DataType="text" Length="8">
   <Description><TranslatedText>Unique Subject Identifier</TranslatedText></Description>
  </ItemDef>
  <ItemDef OID="IT.DM.SEX" Name="SEX" DataType="text" Length="1">
   <Description><TranslatedText>Sex</TranslatedText></Description><CodeListRef CodeListOID="CL.SEX"/>
  </ItemDef>
  <CodeList OID="CL.SEX" Name="Sex" DataType="text">
   <CodeListItem CodedValue="F"/><CodeListItem CodedValue="M"/>
  </CodeList>
 </MetaDataVersion></Study>
</ODM>
"""


def test_define_read(tmp_path):
    (tmp_path / "define.xml").write_text(DEFINE)
    define = read_define(tmp_path / "define.xml")
    dm = define.datasets["DM"]
    assert dm.label == "Demographics"
    assert [(v.name, v.data_type, v.length, v.mandatory, v.codelist) for v in dm.variables.values()] == [
        ("USUBJID", "text", 8, True, None),
        ("SEX", "text", 1, True, "CL.SEX"),
    ]
    assert define.codelists == {"CL.SEX": frozenset({"F", "M"})}


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE ODM [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="&d;"/></ODM>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="&secret;"/></ODM>
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LAUGHS, "declares entities"),
        (EXTERNAL, "declares entities"),
        ("<ODM><unclosed></ODM>", "not well-formed"),
        ("<html/>", "not a Define-XML"),
    ],
    ids=["billion-laughs", "external-entity", "not-well-formed", "wrong-root"],
)
def test_hostile_or_broken_define_is_refused(tmp_path, text, expected):
    (tmp_path / "define.xml").write_text(text)
    with pytest.raises(InputError, match=expected) as caught:
        read_define(tmp_path / "define.xml")
    assert "root:" not in str(caught.value)  # /etc/passwd content never read


def test_fhir_bundle_and_ndjson_read(tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "1"}}]}  # fmt: skip
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "AdverseEvent.ndjson").write_text('{"resourceType": "AdverseEvent", "id": "a"}\n\n')
    package = load_package([tmp_path])
    assert sorted(r["resourceType"] for r in package.fhir.resources) == ["AdverseEvent", "Patient"]


def test_bad_ndjson_line(tmp_path):
    (tmp_path / "x.ndjson").write_text('{"resourceType": "Patient", "id": "1"}\n{oops\n')
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        load_package([tmp_path])


def test_nothing_to_validate(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"no \.xpt"):
        load_package([tmp_path])


@pytest.mark.parametrize("kind", ["v8", "truncated", "entities", "missing"])
def test_cli_exit_2_without_traceback(tmp_path, kind):
    args = [str(tmp_path)]
    if kind == "v8":
        write_xpt(tmp_path / "dm.xpt", version=None)
    elif kind == "truncated":
        (tmp_path / "dm.xpt").write_bytes(write_xpt(tmp_path / "dm.xpt").read_bytes()[:1000])
    elif kind == "entities":
        write_xpt(tmp_path / "dm.xpt")
        (tmp_path / "define.xml").write_text(LAUGHS)
    else:
        args = [str(tmp_path / "nowhere")]
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error:" in result.output
