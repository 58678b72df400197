"""Derived findings records (--DRVFL = Y), issue 14: findings.csv `derived` and `standard_result` through the records
reader and writer, to-sdtm and from-sdtm. A derived record may have no --ORRES (CORE-000200: --ORRES is required
only when --STAT is null and --DRVFL is not Y); its result is then its standard result alone.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from records_support import csv_rows, save_rows
from test_sdtm_factory import context, records, rows
from trialinterop.cli import main
from trialinterop.definition import bundled_definition
from trialinterop.errors import InputError
from trialinterop.sdtm.domains.findings import build_findings, build_findings_in_parts
from trialinterop.source import models as m
from trialinterop.source.reader import read_records
from trialinterop.source.writer import write_records
from trialinterop.spec import load_spec
from validate_cases import S1, STUDY, clean_package, make_dataset, replace_dataset, write_xpt_package

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"
NCT = load_spec(definition=bundled_definition("NCT05016804"))


# --- records: reader, validation, writer -------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The bundled records with the two derived columns added (empty)."""
    target = tmp_path / "records"
    shutil.copytree(BUNDLED, target)
    table = csv_rows(target / "findings.csv")
    save_rows(target / "findings.csv", [table[0] + ["derived", "standard_result"]] + [[*r, "", ""] for r in table[1:]])
    return target


def _set(path: Path, row: int, **cells: str) -> None:
    table = csv_rows(path)
    for column, value in cells.items():
        table[row - 1][table[0].index(column)] = value
    save_rows(path, table)


def _issues(folder: Path) -> list[tuple[str, str, str, str]]:
    with pytest.raises(InputError) as caught:
        read_records(folder)
    return [(i.where, i.key, i.field, i.message) for i in caught.value.issues]


def test_a_derived_record_without_result_reads_with_its_standard_result(folder: Path) -> None:
    header = csv_rows(folder / "findings.csv")[0]
    assert csv_rows(folder / "findings.csv")[1][: header.index("result") + 1][-1] == "0"  # row 2: MRSS0101 = 0
    _set(folder / "findings.csv", 2, result="", derived="Y", standard_result="0")
    _set(folder / "findings.csv", 3, derived="Y")
    found = read_records(folder).findings
    carried = [(f.testcd, f.result, f.derived, f.standard_result) for f in found[:3]]
    assert carried == [("MRSS0101", None, "Y", "0"), ("MRSS0102", "1", "Y", None), ("MRSS0103", "1", None, None)]


def test_standard_result_only_on_a_derived_record_without_result(folder: Path) -> None:
    _set(folder / "findings.csv", 2, standard_result="0")  # not derived (and has a result)
    _set(folder / "findings.csv", 3, derived="Y", standard_result="1")  # derived, but has a result
    _set(folder / "findings.csv", 4, derived="N")  # not a value of derived
    issues = _issues(folder)
    assert issues == [("findings.csv", "row 4", "derived", "must be one of Y")]
    _set(folder / "findings.csv", 4, derived="")
    assert _issues(folder) == [
        ("findings.csv", "row 2", "standard_result", "only a derived record (derived = Y) has a standard result"),
        ("findings.csv", "row 2", "standard_result", "a record with a result has no standard result"),
        ("findings.csv", "row 3", "standard_result", "a record with a result has no standard result"),
    ]


def test_standard_result_not_on_a_test_not_done(folder: Path) -> None:
    _set(folder / "findings.csv", 2, result="", status="NOT DONE", derived="Y", standard_result="0")
    assert _issues(folder) == [
        ("findings.csv", "row 2", "standard_result", "a standard result is given for a test NOT DONE"),
    ]


def test_writer_adds_the_derived_columns_only_when_used(folder: Path, tmp_path: Path) -> None:
    plain = write_records(read_records(folder), tmp_path / "plain")
    with (plain / "findings.csv").open(encoding="utf-8") as handle:
        assert "derived" not in next(csv.reader(handle))
    _set(folder / "findings.csv", 2, result="", derived="Y", standard_result="0")
    written = write_records(read_records(folder), tmp_path / "derived")
    table = csv_rows(written / "findings.csv")
    assert table[0][-2:] == ["derived", "standard_result"]
    assert table[1][table[0].index("result")] == "" and table[1][-2:] == ["Y", "0"]
    assert table[2][-2:] == ["", ""]
    assert read_records(written).findings[0].standard_result == "0"


# --- to-sdtm -----------------------------------------------------------------------------------------------------


def _with_derived() -> m.TrialRecords:
    """The factory's records with: the visit 2 mRSS total (collected 34, the items sum to 34) replaced by a derived
    record with no result and the standard result 33 (a sponsor's own derivation, not the sum); the visit 1 area
    MRSS0101 flagged derived (with its result); the visit 2 FVC derived with no result and the standard result 2.4."""
    changed = []
    for row in records().findings:
        if (row.testcd, row.visit_num) == ("MRSS0118", 2):
            row = m.Finding(row.subject_id, row.instrument, row.testcd, 2, datetime=row.datetime, derived="Y",
                            standard_result="33")  # fmt: skip
        elif (row.testcd, row.visit_num) == ("MRSS0101", 1):
            row = m.Finding(row.subject_id, row.instrument, row.testcd, 1, datetime=row.datetime, result=row.result,
                            derived="Y")  # fmt: skip
        elif (row.testcd, row.visit_num) == ("FVC", 2):
            row = m.Finding(row.subject_id, row.instrument, row.testcd, 2, datetime=row.datetime, derived="Y",
                            standard_result="2.4", position=row.position)  # fmt: skip
        changed.append(row)
    return records(findings=tuple(changed))


def _build(domain: str) -> object:
    trial = _with_derived()
    return build_findings(trial, context(trial), domain, variables=NCT.variables(domain))


def test_derived_total_without_result_is_its_standard_result() -> None:
    qs = _build("QS")
    total = qs[qs.QSTESTCD == "MRSS0118"]
    columns = ["VISITNUM", "QSORRES", "QSSTRESC", "QSSTRESN", "QSDRVFL", "QSSTAT", "QSREASND", "QSLOBXFL"]
    assert rows(total, columns) == [
        (1.0, "17", "17", 17.0, "Y", None, None, None),  # computed from the items (total_of), as before
        (2.0, None, "33", 33.0, "Y", None, None, "Y"),  # the sponsor's derived total: done, last before exposure
        (4.0, None, None, None, None, "NOT DONE", "PATIENT REFUSED", None),
    ]
    area = qs[qs.QSTESTCD == "MRSS0101"]
    assert rows(area, ["VISITNUM", "QSORRES", "QSSTRESC", "QSDRVFL"]) == [
        (1.0, "1", "1", "Y"),
        (2.0, "2", "2", None),
        (4.0, None, None, None),
    ]


def test_derived_record_without_result_gets_the_standard_unit_and_no_original_unit() -> None:
    re = _build("RE")
    fvc = re[re.RETESTCD == "FVC"]
    columns = ["VISITNUM", "REORRES", "REORRESU", "RESTRESC", "RESTRESN", "RESTRESU", "REDRVFL", "RESTAT"]
    assert rows(fvc, columns) == [
        (1.0, "2.5", "L", "2.5", 2.5, "L", None, None),
        (2.0, None, None, "2.4", 2.4, "L", "Y", None),
        (4.0, None, None, None, None, None, None, "NOT DONE"),
    ]


def test_findings_in_parts_keep_the_derived_flag_of_the_whole_domain() -> None:
    """A part (here: one subject) without derived records still has --DRVFL when another part has one."""
    trial = _with_derived()
    other = m.Finding("02-001", "FVC", "FVC", 1, datetime="2022-08-01", result="2.1", unit="L")
    trial = dataclasses.replace(trial, findings=(*trial.findings, other))
    ctx = context(trial)
    parts = build_findings_in_parts(trial, ctx, "RE", subjects=1)
    fvc = parts[parts.RETESTCD == "FVC"]
    assert rows(fvc, ["USUBJID", "VISITNUM", "REORRES", "RESTRESC", "REDRVFL"]) == [
        ("NCT05016804-01-001", 1.0, "2.5", "2.5", None),
        ("NCT05016804-01-001", 2.0, None, "2.4", "Y"),
        ("NCT05016804-01-001", 4.0, None, None, None),
        ("NCT05016804-02-001", 1.0, "2.1", "2.1", None),
    ]


# --- from-sdtm ---------------------------------------------------------------------------------------------------


def _qs_row(seq: int, testcd: str, orres: str, stresc: str, stresn: float, drvfl: str) -> dict[str, object]:
    return {"STUDYID": STUDY, "DOMAIN": "QS", "USUBJID": S1, "QSSEQ": seq, "QSTESTCD": testcd, "QSTEST": testcd,
            "QSCAT": "ADAS-COG", "QSORRES": orres, "QSSTRESC": stresc, "QSSTRESN": stresn, "QSSTAT": "",
            "QSDRVFL": drvfl, "VISITNUM": 2, "VISIT": "DAY 1", "QSDTC": "2022-03-01"}  # fmt: skip


def test_from_sdtm_carries_derived_records_and_their_standard_result(tmp_path: Path) -> None:
    qs = make_dataset(
        "QS",
        [
            _qs_row(1, "ACITM01", "3", "3", 3.0, ""),
            _qs_row(2, "ACITM02", "4", "4", 4.0, "Y"),  # derived, with its original result
            _qs_row(3, "ACTOT", "", "56.7", 56.7, "Y"),  # derived total: no QSORRES (not the sum 7)
        ],
    )
    source = write_xpt_package(replace_dataset(clean_package(), qs), tmp_path / "package")
    out = tmp_path / "records"
    result = CliRunner().invoke(main, ["from-sdtm", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "findings.csv").open(newline="", encoding="utf-8") as handle:
        found = [r for r in csv.DictReader(handle) if r["instrument"] == "ADAS_COG"]
    assert [(r["testcd"], r["result"], r["status"], r["derived"], r["standard_result"]) for r in found] == [
        ("ACITM01", "3", "", "", ""),
        ("ACITM02", "4", "", "Y", ""),
        ("ACTOT", "", "", "Y", "56.7"),
    ]
    rebuilt = tmp_path / "rebuilt"
    assert CliRunner().invoke(main, ["to-sdtm", str(out), "-o", str(rebuilt), "--no-define"]).exit_code == 0
    import pyreadstat

    back, _ = pyreadstat.read_xport(str(rebuilt / "qs.xpt"))
    back = back[back["QSCAT"] == "ADAS-COG"].sort_values("QSTESTCD")
    assert "QSSTAT" not in back.columns or set(back["QSSTAT"]) == {""}  # the derived total is no NOT DONE
    columns = ["QSTESTCD", "QSORRES", "QSSTRESC", "QSSTRESN", "QSDRVFL"]
    assert [tuple(r) for r in back[columns].itertuples(index=False)] == [
        ("ACITM01", "3", "3", 3.0, ""),
        ("ACITM02", "4", "4", 4.0, "Y"),
        ("ACTOT", "", "56.7", 56.7, "Y"),
    ]


# --- FHIR --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_fhir_derived_record_is_its_standard_result_flagged_by_the_sponsor_extension(
    tmp_path: Path, version: str
) -> None:
    from fhir_support import small_records, validate_all
    from trialinterop.fhir import build_resources
    from trialinterop.fhir.emit import write_fhir
    from trialinterop.fhir_in import load_fhir_trial

    findings = (
        m.Finding("01-001", "MRSS", "MRSS0101", 1, None, "2022-01-10", "2", derived="Y"),
        m.Finding("01-001", "MRSS", "MRSS0118", 1, None, "2022-01-10", derived="Y", standard_result="33"),
        m.Finding("01-001", "FVC", "FVC", 1, None, "2022-01-10", derived="Y", standard_result="2.40"),
    )
    trial = small_records(findings=findings)
    resources = list(build_resources(trial, version=version))
    assert validate_all(resources, version) == []
    by_test = {
        r["code"]["text"]: r
        for r in resources
        if r["resourceType"] == "Observation" and "code" in r and "text" in r["code"]
    }
    url = "https://fomr.example.org/fhir/StructureDefinition/derived-finding"
    total, fvc = by_test["MRSS01-Total Skin Score"], by_test["Forced Vital Capacity"]
    assert total["valueInteger"] == 33 and "method" not in total and "dataAbsentReason" not in total
    assert total["extension"] == [
        {
            "url": url,
            "extension": [{"url": "derived", "valueString": "Y"}, {"url": "standard_result", "valueBoolean": True}],
        }
    ]
    assert fvc["valueQuantity"]["value"] == 2.4 and fvc["valueQuantity"]["unit"] == "L"
    assert fvc["valueQuantity"]["_value"]["extension"][0]["valueString"] == "2.40"
    area = next(r for r in by_test.values() if r.get("valueInteger") == 2)
    assert area["extension"] == [{"url": url, "extension": [{"url": "derived", "valueString": "Y"}]}]
    write_fhir(trial, tmp_path / "bundle.json", version=version, form="collection")
    back = load_fhir_trial(tmp_path / "bundle.json", study=trial.definition)
    assert [(f.testcd, f.result, f.unit, f.derived, f.standard_result) for f in back.findings] == [
        ("MRSS0101", "2", None, "Y", None),
        ("MRSS0118", None, None, "Y", "33"),
        ("FVC", None, None, "Y", "2.40"),
    ]
