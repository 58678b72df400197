"""The written package agrees with mappings/ and with itself: XPT metadata = variables.csv = define.xml.

Reads mappings/*.csv with the csv module (not the spec loader under test) and the XPT files with two independent
readers (pyreadstat, pandas.read_sas), so a defect in the loader or writer cannot hide itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from lxml import etree

from trialinterop.cli import main

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
# Define-XML 2.1 date/time data types: the only ItemDefs that may omit Length (text, integer and float need one)
DATE_TIME_TYPES = frozenset(
    {"date", "time", "datetime", "partialDate", "partialTime", "partialDatetime", "incompleteDatetime",
     "durationDatetime", "intervalDatetime"}
)  # fmt: skip


def check_item_length(item: etree._Element, kind: str, width: int) -> bool:
    """One ItemDef against its XPT variable (`kind` and storage `width` from pyreadstat): True when a Length was
    compared with the XPT width. Text, integer and float items must have a Length; on a character XPT variable it
    equals the variable's width. Only date/time items may omit it. A numeric XPT variable is an 8-byte float, so its
    Length (digits) is checked for presence, not against the width."""
    where = (item.get("OID"), item.get("DataType"))
    length = item.get("Length")
    if length is None:
        assert item.get("DataType") in DATE_TIME_TYPES, f"{where}: ItemDef has no Length"
        return False
    assert length.isdigit() and int(length) > 0, (where, length)
    if kind == "string":
        assert int(length) == width, (where, length, width)
        return True
    return False


@pytest.fixture(scope="module")
def package(tmp_path_factory, repo_root: Path) -> Path:
    out = tmp_path_factory.mktemp("agree") / "sdtm"
    result = CliRunner().invoke(
        main, ["to-sdtm", str(repo_root / "fixtures" / "records"), "-o", str(out), "--format", "xpt,json"]
    )
    assert result.exit_code == 0, result.output
    return out


def _spec_rows(repo_root: Path, name: str) -> list[dict[str, str]]:
    with (repo_root / "mappings" / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_xpt_matches_variables_csv(package: Path, repo_root: Path) -> None:
    variables = _spec_rows(repo_root, "variables.csv")
    labels = {row["dataset"]: row["label"] for row in _spec_rows(repo_root, "datasets.csv")}
    files = sorted(package.glob("*.xpt"))
    assert {f.stem.upper() for f in files} >= {
        "DM", "CM", "EX", "AE", "MH", "QS", "RE", "TS", "TA", "TE", "TV", "TI", "SV", "SE", "DS", "IE", "SUPPAE",
    }  # fmt: skip
    for path in files:
        dataset = path.stem.upper()
        spec = sorted((r for r in variables if r["dataset"] == dataset), key=lambda r: int(r["order"]))
        data, meta = pyreadstat.read_xport(str(path))
        assert meta.table_name == dataset
        assert meta.file_label == labels[dataset]
        columns = list(data.columns)
        spec_names = [r["variable"] for r in spec]
        # every written variable is in the spec, in spec order; Req and Exp variables are never dropped
        assert [n for n in spec_names if n in columns] == columns, dataset
        assert {r["variable"] for r in spec if r["core"] in ("Req", "Exp")} <= set(columns), dataset
        for row in spec:
            if row["variable"] not in columns:
                continue
            assert meta.column_names_to_labels[row["variable"]] == row["label"], (dataset, row["variable"])
            kind = meta.readstat_variable_types[row["variable"]]
            assert kind == ("double" if row["type"] == "Num" else "string"), (dataset, row["variable"])
        via_pandas = pd.read_sas(path, format="xport", encoding="ascii")
        assert list(via_pandas.columns) == columns
        assert len(via_pandas) == len(data), dataset


def test_define_matches_the_xpt_files(package: Path) -> None:
    root = etree.parse(str(package / "define.xml")).getroot()
    item_defs = {d.get("OID"): d for d in root.iterfind(".//odm:ItemDef", NS)}
    groups = root.findall(".//odm:ItemGroupDef", NS)
    assert sorted(g.get("Name") for g in groups) == sorted(p.stem.upper() for p in package.glob("*.xpt"))
    compared = 0
    for group in groups:
        _, meta = pyreadstat.read_xport(str(package / f"{group.get('Name').lower()}.xpt"), metadataonly=True)
        refs = sorted(group.findall("odm:ItemRef", NS), key=lambda r: int(r.get("OrderNumber")))
        names = [item_defs[r.get("ItemOID")].get("Name") for r in refs]
        assert names == meta.column_names, group.get("Name")
        for ref in refs:
            item = item_defs[ref.get("ItemOID")]
            label = item.find("odm:Description/odm:TranslatedText", NS).text
            assert label == meta.column_names_to_labels[item.get("Name")]
            name = item.get("Name")
            compared += check_item_length(item, meta.readstat_variable_types[name], meta.variable_storage_width[name])
    assert compared > 100  # every character variable's Length was compared with its XPT width


def test_whole_output_validates_clean(package: Path, tmp_path: Path, repo_root: Path) -> None:
    """XPT + Dataset-JSON + define.xml from to-sdtm and the R4 Bundle from to-fhir: no finding at all."""
    bundle = tmp_path / "bundle.json"
    runner = CliRunner()
    fhir = runner.invoke(main, ["to-fhir", str(repo_root / "fixtures" / "records"), "-o", str(bundle)])
    assert fhir.exit_code == 0, fhir.output
    result = runner.invoke(main, ["validate", str(package), str(bundle), "--fail-on", "notice"])
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output
