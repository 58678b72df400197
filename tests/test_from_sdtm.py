"""from-sdtm on small hand-written SDTM packages (tests/validate_cases): records, definition, carry report, CLI.

Expected values are facts of the input package (validate_cases.clean_package) written out by hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.source.reader import read_records
from validate_cases import (
    S1,
    S2,
    STUDY,
    add_row,
    clean_package,
    drop_column,
    make_dataset,
    replace_dataset,
    set_value,
    write_xpt_package,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _convert(package, tmp_path: Path, *extra: str) -> tuple[object, Path]:
    source = write_xpt_package(package, tmp_path / "package")
    out = tmp_path / "records"
    result = CliRunner().invoke(main, ["from-sdtm", str(source), "-o", str(out), *extra])
    return result, out


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    result, out = _convert(clean_package(), tmp_path)
    assert result.exit_code == 0, result.output
    return out


def test_subjects_from_dm(converted: Path) -> None:
    rows = _rows(converted / "subjects.csv")
    picked = [
        {k: r[k] for k in ("subject_id", "site_id", "sex", "age", "race", "arm", "country", "consent_date", "enrolled")}
        for r in rows
    ]
    assert picked == [
        {"subject_id": "001", "site_id": "ATG01", "sex": "F", "age": "45", "race": "WHITE", "arm": "ALLORX",
         "country": "ATG", "consent_date": "", "enrolled": "Y"},
        {"subject_id": "002", "site_id": "ATG01", "sex": "M", "age": "50", "race": "ASIAN", "arm": "",
         "country": "ATG", "consent_date": "", "enrolled": "N"},
    ]  # fmt: skip


def test_events_exposures_visits_findings(converted: Path) -> None:
    ae = _rows(converted / "adverse_events.csv")
    assert [(r["subject_id"], r["ae_id"], r["term"], r["pt"], r["serious"], r["hospitalization"]) for r in ae] == [
        ("001", "1", "HEADACHE", "Headache", "N", "N"),
        ("001", "2", "PNEUMONIA", "Pneumonia", "Y", "Y"),
    ]
    ex = _rows(converted / "exposures.csv")
    assert [(r["treatment"], r["start"], r["dose"], r["route"]) for r in ex] == [
        ("ALLORX", "2022-03-01", "100", "INTRAVENOUS")
    ]
    visits = _rows(converted / "visits.csv")
    assert [(r["subject_id"], r["visit_num"], r["visit_date"]) for r in visits] == [
        ("001", "1", "2022-02-20"),
        ("001", "2", "2022-03-01"),
        ("001", "3", "2022-03-31"),
        ("002", "1", "2022-02-25"),
    ]
    findings = _rows(converted / "findings.csv")
    assert [(r["instrument"], r["testcd"], r["visit_num"], r["result"], r["unit"]) for r in findings] == [
        ("ABC", "MRSS01", "2", "2", ""),
        ("RE", "FVC", "2", "2.5", "L"),
    ]
    assert _rows(converted / "eligibility.csv") == [
        {"subject_id": "002", "criterion_id": "EXCL01", "result": "Y", "assessment_date": "2022-02-25"}
    ]


def test_definition_from_trial_design(converted: Path) -> None:
    study = yaml.safe_load((converted / "study.yaml").read_text(encoding="utf-8"))
    assert study["study"]["id"] == STUDY
    assert study["study"]["registry_ids"][0] == {"registry": "NCT", "id": "NCT05016804"}
    assert study["study"]["phase"] == "PHASE1"
    assert study["design"]["masking"] == "NONE"
    assert study["design"]["intervention_model"] == "SINGLE_GROUP"
    assert [(a["code"], a["elements"], a["interventions"]) for a in study["arms"]] == [
        ("ALLORX", ["SCRN", "MSC", "FU"], ["ALLORX"])
    ]
    assert study["epochs"] == ["SCREENING", "TREATMENT", "FOLLOW-UP"]
    # SE: SCRN starts at the screening visit (2022-02-20; the package has no consent date), MSC at the infusion
    # (2022-03-01), FU the day after (2022-03-02)
    assert [(e["code"], e["starts_at"]) for e in study["elements"]] == [
        ("SCRN", {"event": "visit", "visit": 1}),
        ("MSC", {"event": "first_dose", "intervention": "ALLORX"}),
        ("FU", {"event": "day_after_first_dose", "intervention": "ALLORX"}),
    ]
    assert study["subjects"] == {"id_pattern": "[0-9]{3}", "usubjid": "NCT05016804-{site}-{subject}"}
    assert [(v["number"], v["name"], v["planned_day"]) for v in study["visits"]["planned"]] == [
        (1, "SCREENING", -10),
        (2, "DAY 1", 1),
        (3, "MONTH 1", 31),
    ]
    assert study["interventions"][0]["type"] == "BIOLOGICAL"  # TS INTTYPE BIOLOGIC
    assert [c["id"] for c in study["eligibility"]["criteria"]] == ["INCL01", "EXCL01"]
    assert study["eligibility"]["minimum_age"] == "P18Y"
    assert study["eligibility"]["maximum_age"] is None  # AGEMAX null flavor PINF
    assert [(t["testcd"], t["result_type"], t.get("unit")) for i in study["instruments"] for t in i["tests"]] == [
        ("MRSS01", "integer", None),
        ("FVC", "float", "L"),
    ]


def test_records_folder_reads_back(converted: Path) -> None:
    records = read_records(converted)
    assert (len(records.subjects), len(records.adverse_events), len(records.findings)) == (2, 2, 2)


def test_report_balances_and_notes_the_decisions(converted: Path) -> None:
    report = json.loads((converted / "not-carried" / "report.json").read_text(encoding="utf-8"))
    assert report["balanced"] is True
    assert (report["rows_not_carried"], report["values_not_carried"]) == (0, 0)
    assert report["datasets"]["AE"]["rows"] == 2
    assert report["datasets"]["SUPPAE"]["values_recomputed"] == 9  # AETRTEM (QEVAL empty): recomputed
    assert report["datasets"]["DM"]["variables"]["RFSTDTC"]["status"] == "recomputed"
    # RFICDTC is absent and DS has no consent milestone: no consent date is invented (not from SE, SV or DMDTC)
    assert (
        "consent_date left empty for 2 subject(s): no complete RFICDTC nor DS INFORMED CONSENT OBTAINED date"
        " (none invented)" in report["notes"]
    )
    assert not any(n.startswith("consent_date taken from") for n in report["notes"])


def test_supp_qualifier_without_home_is_listed(tmp_path: Path) -> None:
    package = add_row(
        clean_package(), "SUPPAE", STUDYID=STUDY, RDOMAIN="AE", USUBJID=S1, IDVAR="AESEQ", IDVARVAL="2",
        QNAM="AESOSP", QLABEL="Other Medically Important SAE", QVAL="sepsis", QORIG="CRF", QEVAL="",
    )  # fmt: skip
    result, out = _convert(package, tmp_path)
    assert result.exit_code == 0, result.output
    [row] = _rows(out / "not-carried" / "SUPPAE-rows.csv")
    assert (row["row"], row["reason"], row["QNAM"], row["QVAL"]) == (
        "2",
        "SUPPAE qualifier AESOSP: no records field",
        "AESOSP",
        "sepsis",
    )
    assert "not carried: 9 values (1 whole rows)" in result.output  # QEVAL is empty
    strict, _ = _convert(package, tmp_path / "strict", "--strict")
    assert strict.exit_code == 1


def test_domain_without_records_table_is_listed(tmp_path: Path) -> None:
    comments = make_dataset(
        "CO",
        [{"STUDYID": STUDY, "DOMAIN": "CO", "USUBJID": S1, "COSEQ": 1, "COVAL": "Moved", "CODTC": "2022-05-01"}],
    )
    package = clean_package()
    package = type(package)(datasets={**package.datasets, "CO": comments})
    result, out = _convert(package, tmp_path)
    assert result.exit_code == 0, result.output
    [row] = _rows(out / "not-carried" / "CO-rows.csv")
    assert (row["reason"], row["COVAL"]) == ("no records table for domain CO", "Moved")
    report = json.loads((out / "not-carried" / "report.json").read_text(encoding="utf-8"))
    assert report["datasets"]["CO"]["values_not_carried"] == 6


def test_value_outside_the_records_vocabulary_goes_to_the_side_file(tmp_path: Path) -> None:
    result, out = _convert(set_value(clean_package(), "AE", 0, "AESEV", "VERY BAD"), tmp_path)
    assert result.exit_code == 0, result.output
    ae = _rows(out / "adverse_events.csv")
    assert [r["severity"] for r in ae] == ["", "SEVERE"]  # the AE is carried, its severity is not
    [side] = _rows(out / "not-carried" / "AE-values.csv")
    assert (side["row"], side["USUBJID"], side["variable"], side["value"]) == ("1", S1, "AESEV", "VERY BAD")
    assert side["reason"].startswith("adverse_events.csv severity: must be one of MILD, MODERATE, SEVERE")


def test_row_the_records_reject_goes_whole_to_the_side_file(tmp_path: Path) -> None:
    # visit_date must be a complete date: the visit is not carried, the other three are
    result, out = _convert(set_value(clean_package(), "SV", 2, "SVSTDTC", "2022-03"), tmp_path)
    assert result.exit_code == 0, result.output
    assert len(_rows(out / "visits.csv")) == 3
    [row] = _rows(out / "not-carried" / "SV-rows.csv")
    assert (row["row"], row["VISITNUM"]) == ("3", "3.0")
    assert row["reason"].startswith("visits.csv visit_date:")


def test_missing_required_variable_exits_2_naming_file_and_variable(tmp_path: Path) -> None:
    result, out = _convert(drop_column(clean_package(), "DM", "SUBJID"), tmp_path)
    assert result.exit_code == 2
    assert "dm.xpt" in result.output
    assert "SUBJID: required variable is missing" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_trial_design_exits_2(tmp_path: Path) -> None:
    package = clean_package()
    package = type(package)(datasets={k: v for k, v in package.datasets.items() if k != "TA"})
    result, _ = _convert(package, tmp_path)
    assert result.exit_code == 2
    assert "dataset TA is required" in result.output


def test_not_a_package_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["from-sdtm", str(tmp_path / "empty"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no .xpt, Dataset-JSON" in result.output


def test_failed_run_leaves_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "records"
    out.mkdir()
    (out / "kept.txt").write_text("previous run", encoding="utf-8")
    broken = write_xpt_package(drop_column(clean_package(), "DM", "SUBJID"), tmp_path / "package")
    result = CliRunner().invoke(main, ["from-sdtm", str(broken), "-o", str(out)])
    assert result.exit_code == 2
    assert (out / "kept.txt").read_text(encoding="utf-8") == "previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["package", "records"]  # no staging folder left


def test_replaces_previous_output_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "records"
    out.mkdir()
    (out / "stale.txt").write_text("old", encoding="utf-8")
    result, out = _convert(clean_package(), tmp_path)
    assert result.exit_code == 0, result.output
    assert not (out / "stale.txt").exists()
    assert (out / "study.yaml").is_file()


def test_dm_replaced_rows_keep_their_order(tmp_path: Path) -> None:
    package = clean_package()
    dm = package.datasets["DM"]
    reordered = make_dataset("DM", dm.frame.iloc[::-1].to_dict("records"))
    result, out = _convert(replace_dataset(package, reordered), tmp_path)
    assert result.exit_code == 0, result.output
    assert [r["subject_id"] for r in _rows(out / "subjects.csv")] == ["002", "001"]


def _vs_and_cm(package):
    """The clean package with a VS dataset (time points, location) and a CM dataset (visit, collection date, text
    sponsor ids), as a finished package from elsewhere would have them."""
    vs = make_dataset(
        "VS",
        [
            {
                "STUDYID": STUDY,
                "DOMAIN": "VS",
                "USUBJID": S1,
                "VSSEQ": seq,
                "VSTESTCD": "SYSBP",
                "VSTEST": "Systolic Blood Pressure",
                "VSPOS": pos,
                "VSORRES": res,
                "VSORRESU": "mmHg",
                "VSSTRESC": res,
                "VSSTRESN": float(res),
                "VSSTRESU": "mmHg",
                "VSLOC": "ARM",
                "VISITNUM": 2,
                "VISIT": "DAY 1",
                "VSDTC": "2022-03-01",
                "VSTPT": tpt,
                "VSTPTNUM": num,
                "VSELTM": eltm,
                "VSTPTREF": ref,
            }
            for seq, pos, res, tpt, num, eltm, ref in (
                (1, "SUPINE", "120", "AFTER LYING DOWN FOR 5 MINUTES", 1, "PT5M", "PATIENT SUPINE"),
                (2, "STANDING", "112", "AFTER STANDING FOR 1 MINUTE", 2, "PT1M", "PATIENT STANDING"),
            )
        ],
    )
    cm = make_dataset(
        "CM",
        [{"STUDYID": STUDY, "DOMAIN": "CM", "USUBJID": S1, "CMSEQ": 1, "CMSPID": "C01", "CMTRT": "ASPIRIN",
          "CMDOSE": 100, "CMDOSU": "mg", "VISITNUM": 1, "VISIT": "SCREENING", "CMDTC": "2022-02-20",
          "CMSTDTC": "2021-05"}],
    )  # fmt: skip
    return replace_dataset(replace_dataset(package, vs), cm)


def test_time_points_location_visit_and_sponsor_ids_come_back(tmp_path: Path) -> None:
    from trialinterop.compare import compare_packages

    result, out = _convert(_vs_and_cm(clean_package()), tmp_path)
    assert result.exit_code == 0, result.output
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    vs_instrument = next(i for i in study["instruments"] if i["domain"] == "VS")
    assert vs_instrument["timepoints"] == [
        {"name": "AFTER LYING DOWN FOR 5 MINUTES", "number": 1, "elapsed": "PT5M", "reference": "PATIENT SUPINE"},
        {"name": "AFTER STANDING FOR 1 MINUTE", "number": 2, "elapsed": "PT1M", "reference": "PATIENT STANDING"},
    ]
    [cm] = _rows(out / "medications.csv")
    assert (cm["visit_num"], cm["collection_date"], cm["sponsor_id"]) == ("1", "2022-02-20", "C01")
    assert [r["location"] for r in _rows(out / "findings.csv") if r["instrument"] == "VS"] == ["ARM", "ARM"]
    rebuilt = tmp_path / "rebuilt"
    assert CliRunner().invoke(main, ["to-sdtm", str(out), "-o", str(rebuilt), "--no-define"]).exit_code == 0
    compared = compare_packages(tmp_path / "package", rebuilt, datasets=["VS", "CM"], keys={"VS": ["USUBJID", "VSTPT"]})
    carried = {"VSTPT", "VSTPTNUM", "VSELTM", "VSTPTREF", "VSLOC", "VSPOS", "VSORRES"}
    assert {d.variable for d in compared.differences() if d.dataset == "VS"} & carried == set()
    cm_out = compared.datasets["CM"]
    assert {d.variable for d in compared.differences() if d.dataset == "CM"} & {
        "CMSPID", "VISITNUM", "VISIT", "CMDTC", "CMTRT", "CMDOSE"
    } == set()  # fmt: skip
    assert cm_out.matched == 1


def test_sponsor_causality_terms_are_declared_and_carried(tmp_path: Path) -> None:
    package = set_value(set_value(clean_package(), "AE", 0, "AEREL", "PROBABLE"), "AE", 1, "AEREL", "REMOTE")
    result, out = _convert(package, tmp_path)
    assert result.exit_code == 0, result.output
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    assert study["codelists"] == [
        {
            "name": "AEREL",
            "title": "Causality (the package's AEREL terms)",
            "extensible": True,
            "terms": [{"value": "PROBABLE"}, {"value": "REMOTE"}],
        }
    ]
    assert [r["relationship"] for r in _rows(out / "adverse_events.csv")] == ["PROBABLE", "REMOTE"]
    assert not (out / "not-carried" / "AE-values.csv").exists()


def _ds(rows: list[tuple[str, str, str, float, str]]) -> object:
    records = [
        {"STUDYID": STUDY, "DOMAIN": "DS", "USUBJID": S1, "DSSEQ": n, "DSTERM": term, "DSDECOD": decod,
         "DSCAT": cat, "VISITNUM": visit, "DSSTDTC": date}
        for n, (term, decod, cat, visit, date) in enumerate(rows, start=1)
    ]  # fmt: skip
    return make_dataset("DS", records)


def test_other_events_and_sponsor_disposition_terms_come_back(tmp_path: Path) -> None:
    ds = _ds(
        [
            ("INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", 1, "2022-02-20"),
            ("DID NOT HELP", "LACK OF EFFICACY", "DISPOSITION EVENT", 3, "2022-03-31"),
            ("FINAL LAB VISIT", "FINAL LAB VISIT", "OTHER EVENT", 3, "2022-03-31"),
        ]
    )
    result, out = _convert(replace_dataset(clean_package(), ds), tmp_path)
    assert result.exit_code == 0, result.output
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    declared = {c["name"]: c["terms"] for c in study["codelists"]}
    assert declared["NCOMPLT"] == [{"value": "LACK OF EFFICACY", "code": "C48226"}]
    assert declared["OTHEVENT"] == [{"value": "FINAL LAB VISIT"}]
    rows = [(r["event"], r["term"], r["category"], r["event_date"]) for r in _rows(out / "disposition.csv")]
    assert rows == [
        ("LACK OF EFFICACY", "DID NOT HELP", "", "2022-03-31"),
        ("FINAL LAB VISIT", "FINAL LAB VISIT", "OTHER EVENT", "2022-03-31"),
    ]
    assert not (out / "not-carried" / "DS-rows.csv").exists()
    subjects = {r["subject_id"]: r["consent_date"] for r in _rows(out / "subjects.csv")}
    assert subjects["001"] == "2022-02-20"

    from trialinterop.api import convert_to_sdtm

    convert_to_sdtm(read_records(out), tmp_path / "sdtm", formats=("xpt",), define=False)
    import pyreadstat

    back, _ = pyreadstat.read_xport(str(tmp_path / "sdtm" / "ds.xpt"))
    mine = back[back["USUBJID"] == S1].sort_values("DSSEQ")
    assert list(zip(mine["DSDECOD"], mine["DSCAT"], mine["DSSCAT"], mine["DSSTDTC"], strict=True)) == [
        ("INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", "", "2022-02-20"),
        ("FINAL LAB VISIT", "OTHER EVENT", "", "2022-03-31"),
        ("LACK OF EFFICACY", "DISPOSITION EVENT", "STUDY PARTICIPATION", "2022-03-31"),
    ]


def test_affine_unit_conversion_and_a_result_in_the_standard_unit_come_back(tmp_path: Path) -> None:
    """Temperature collected in F (standard C = (F - 32) x 5/9, no factor can say it) and once in C."""
    rows = [(S1, 1, "96.9", "F", 36.06), (S1, 2, "98.6", "F", 37.0), (S1, 3, "100.4", "F", 38.0)]
    rows += [(S2, 1, "36.2", "C", 36.2)]
    vs = make_dataset(
        "VS",
        [
            {"STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": subject, "VSSEQ": visit, "VSTESTCD": "TEMP",
             "VSTEST": "Temperature", "VSORRES": res, "VSORRESU": unit, "VSSTRESC": f"{std:g}", "VSSTRESN": std,
             "VSSTRESU": "C", "VISITNUM": visit, "VSDTC": f"2022-03-0{visit}"}
            for subject, visit, res, unit, std in rows
        ],
    )  # fmt: skip
    result, out = _convert(replace_dataset(clean_package(), vs), tmp_path)
    assert result.exit_code == 0, result.output
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    [temp] = [t for i in study["instruments"] if i["domain"] == "VS" for t in i["tests"]]
    assert (temp["unit"], temp["standard_unit"], temp["decimals"]) == ("F", "C", 2)
    assert (temp["conversion"], temp["offset"]) == (pytest.approx(5 / 9), pytest.approx(-160 / 9))
    assert [r["unit"] for r in _rows(out / "findings.csv") if r["testcd"] == "TEMP"] == ["F", "F", "F", "C"]
    rebuilt = tmp_path / "rebuilt"
    assert CliRunner().invoke(main, ["to-sdtm", str(out), "-o", str(rebuilt), "--no-define"]).exit_code == 0
    import pyreadstat

    back, _ = pyreadstat.read_xport(str(rebuilt / "vs.xpt"))
    back = back.sort_values(["USUBJID", "VISITNUM"])
    assert back["VSSTRESN"].tolist() == [36.06, 37.0, 38.0, 36.2]
    assert back["VSSTRESU"].tolist() == ["C"] * 4


def test_unplanned_element_comes_back(tmp_path: Path) -> None:
    """An SE element outside TA (ETCD UNPLAN, SEUPDES) is carried in unplanned_elements.csv and written back."""
    package = add_row(
        clean_package(), "SE", SESEQ=4, ETCD="UNPLAN", ELEMENT="", TAETORD=float("nan"), EPOCH="TREATMENT",
        SESTDTC="2022-03-10", SEENDTC="2022-03-11", SESTDY=10, SEENDY=11,
    )  # fmt: skip
    package = replace_dataset(
        package, make_dataset("SE", [{**r, "SEUPDES": "Hospital stay" if r["ETCD"] == "UNPLAN" else ""}
                                     for r in package.datasets["SE"].frame.to_dict("records")])
    )  # fmt: skip
    result, out = _convert(package, tmp_path)
    assert result.exit_code == 0, result.output
    assert _rows(out / "unplanned_elements.csv") == [
        {"subject_id": "001", "start": "2022-03-10", "end": "2022-03-11", "description": "Hospital stay",
         "epoch": "TREATMENT"}
    ]  # fmt: skip
    study = yaml.safe_load((out / "study.yaml").read_text(encoding="utf-8"))
    assert "UNPLAN" not in [e["code"] for e in study["elements"]]
    rebuilt = tmp_path / "rebuilt"
    done = CliRunner().invoke(main, ["to-sdtm", str(out), "-o", str(rebuilt), "--no-define"])
    assert done.exit_code == 0, done.output
    import pyreadstat

    back, _ = pyreadstat.read_xport(str(rebuilt / "se.xpt"))
    [row] = back[back["ETCD"] == "UNPLAN"].to_dict("records")
    assert (row["SESTDTC"], row["SEENDTC"], row["SEUPDES"], row["EPOCH"], row["ELEMENT"]) == (
        "2022-03-10", "2022-03-11", "Hospital stay", "TREATMENT", ""
    )  # fmt: skip
    assert row["SESEQ"] == 4.0  # chronological: SCRN, MSC, FU (2022-03-02), UNPLAN (2022-03-10)
