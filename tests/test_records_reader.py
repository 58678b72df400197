"""read_records error cases: every message names the file, the row and the field; the CLI exits 2 without traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from records_support import csv_rows, save_rows
from trialinterop.cli import main
from trialinterop.errors import InputError
from trialinterop.source.reader import read_records

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "records"
    shutil.copytree(BUNDLED, target)
    return target


def _set(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; `row` counts like the reader (header = row 1)."""
    rows = csv_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    save_rows(path, rows)


def _issues(folder: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(InputError) as caught:
        read_records(folder)
    return [(i.where, i.key, i.field) for i in caught.value.issues]


def test_bundled_fixture_loads() -> None:
    records = read_records(BUNDLED)
    assert len(records.subjects) == 20


def test_bad_date(folder: Path) -> None:
    _set(folder / "subjects.csv", 3, "consent_date", "2022-02-30")
    assert _issues(folder) == [("subjects.csv", "row 3", "consent_date")]


def test_partial_date_where_complete_required(folder: Path) -> None:
    _set(folder / "visits.csv", 2, "visit_date", "2021-10")
    assert _issues(folder) == [("visits.csv", "row 2", "visit_date")]


def test_unknown_enum_value(folder: Path) -> None:
    _set(folder / "adverse_events.csv", 2, "severity", "VERY SEVERE")
    assert _issues(folder) == [("adverse_events.csv", "row 2", "severity")]


def test_missing_required_column(folder: Path) -> None:
    rows = [row[:1] + row[2:] for row in csv_rows(folder / "disposition.csv")]  # drop "event"
    save_rows(folder / "disposition.csv", rows)
    assert _issues(folder) == [("disposition.csv", "row 1", "event")]


def test_unknown_column(folder: Path) -> None:
    rows = csv_rows(folder / "eligibility.csv")
    rows = [[*row, "x"] for row in rows]
    rows[0][-1] = "comment"
    save_rows(folder / "eligibility.csv", rows)
    assert _issues(folder) == [("eligibility.csv", "row 1", "comment")]


def test_wrong_cell_count(folder: Path) -> None:
    rows = csv_rows(folder / "findings.csv")
    rows[4] = rows[4][:-2]
    save_rows(folder / "findings.csv", rows)
    issues = _issues(folder)
    assert issues == [("findings.csv", "row 5", "")]


def test_wrong_cell_count_message(folder: Path) -> None:
    rows = csv_rows(folder / "findings.csv")
    rows[4] = rows[4][:-2]
    save_rows(folder / "findings.csv", rows)
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert caught.value.issues[0].message == "has 13 cells, the header has 15"


def test_duplicate_key(folder: Path) -> None:
    rows = csv_rows(folder / "visits.csv")
    rows.insert(3, rows[2])  # second copy becomes row 4
    save_rows(folder / "visits.csv", rows)
    assert _issues(folder) == [("visits.csv", "row 4", "subject_id,visit_num")]


def test_subject_not_in_subjects(folder: Path) -> None:
    _set(folder / "exposures.csv", 2, "subject_id", "09-999")
    assert _issues(folder) == [("exposures.csv", "row 2", "subject_id")]


def _first_row(rows: list[list[str]], **cells: str) -> int:
    """0-based index of the first data row with these cells."""
    header = rows[0]
    return next(i for i, r in enumerate(rows) if i and all(r[header.index(k)] == v for k, v in cells.items()))


def test_bad_collected_total(folder: Path) -> None:
    rows = csv_rows(folder / "findings.csv")
    row = _first_row(rows, testcd="MRSS0118")
    assert rows[row][:7] == ["01-001", "MRSS", "MRSS0118", "1", "", "2021-10-09", "15"]
    rows[row][6] = "16"
    save_rows(folder / "findings.csv", rows)
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.where, issue.key, issue.field) == ("findings.csv", f"row {row + 1}", "result")
    assert issue.message == "collected total differs from the sum of its 17 components (15)"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("testcd", "FVC", "not a test of instrument MRSS"),
        ("result", "4", "outside the range of MRSS0101 (0 to 3)"),
        ("result", "1.5", "not an integer (MRSS0101 results are integers)"),
        ("result", "two", "not a number (MRSS0101 results are integer)"),
        ("unit", "L", "MRSS0101 has no unit"),
    ],
)
def test_finding_checked_against_its_test(folder: Path, column: str, value: str, message: str) -> None:
    _set(folder / "findings.csv", 2, column, value)
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.where, issue.key, issue.field, issue.message) == ("findings.csv", "row 2", column, message)


def test_finding_unit_must_be_the_tests_unit(folder: Path) -> None:
    rows = csv_rows(folder / "findings.csv")
    row = _first_row(rows, testcd="FVC")
    rows[row][rows[0].index("unit")] = "mL"
    save_rows(folder / "findings.csv", rows)
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert [(i.key, i.field, i.message) for i in caught.value.issues] == [
        (f"row {row + 1}", "unit", "the unit of FVC is L")
    ]


def test_not_done_with_a_result_is_an_error(folder: Path) -> None:
    _set(folder / "findings.csv", 2, "status", "NOT DONE")
    assert _issues(folder) == [("findings.csv", "row 2", "result")]


def test_subject_attributes_are_columns_from_the_definition(folder: Path) -> None:
    records = read_records(folder)
    assert records.subjects[0].attributes == (("severity_group", "SEVERE"), ("methotrexate", "Y"))
    assert records.subjects[0].attribute("methotrexate") == "Y"
    _set(folder / "subjects.csv", 2, "methotrexate", "MAYBE")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.key, issue.field, issue.message) == ("row 2", "methotrexate", "must be one of Y, N")


def test_arm_must_be_an_arm_of_the_definition(folder: Path) -> None:
    _set(folder / "subjects.csv", 2, "arm", "PLACEBO")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.key, issue.field, issue.message) == ("row 2", "arm", "must be one of ALLORX")


def test_any_iso_country_is_read_but_must_be_the_sites(folder: Path) -> None:
    _set(folder / "subjects.csv", 2, "country", "USA")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.key, issue.field, issue.message, issue.value) == ("row 2", "country", "site 01 is in ATG", "USA")
    _set(folder / "subjects.csv", 2, "country", "XYZ")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert caught.value.issues[0].message.startswith("must be one of ")


def test_missing_study_definition(folder: Path) -> None:
    (folder / "study.yaml").unlink()
    assert _issues(folder) == [("study.yaml", "", "")]


def test_broken_study_definition_is_reported_with_its_pointer(folder: Path) -> None:
    text = (folder / "study.yaml").read_text().replace("enrollment_target: 20", "enrollment_target: 0")
    (folder / "study.yaml").write_text(text)
    [issue] = _issues(folder)
    assert issue == ("study.yaml", "/study/enrollment_target", "enrollment_target")


INCOMPLETE_AE_FIELDS = ("start", "serious", "severity", "relationship", "action", "outcome")


def test_incomplete_adverse_event_reads_with_nulls(folder: Path) -> None:
    for column in INCOMPLETE_AE_FIELDS:
        _set(folder / "adverse_events.csv", 2, column, "")
    event = read_records(folder).adverse_events[0]
    assert (event.subject_id, event.ae_id, event.term) == ("01-001", 1, "Fatigue")
    assert [getattr(event, c) for c in INCOMPLETE_AE_FIELDS] == [None, None, None, None, None, None]
    assert event.end == "2021-10-30"


def test_seriousness_criterion_without_serious(folder: Path) -> None:
    _set(folder / "adverse_events.csv", 2, "serious", "")
    _set(folder / "adverse_events.csv", 2, "hospitalization", "Y")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    [issue] = caught.value.issues
    assert (issue.where, issue.key, issue.field) == ("adverse_events.csv", "row 2", "serious")
    assert issue.message == "a seriousness criterion is Y but serious is empty"


def test_every_problem_reported_at_once(folder: Path) -> None:
    _set(folder / "subjects.csv", 2, "sex", "X")
    _set(folder / "adverse_events.csv", 3, "start", "yesterday")
    assert _issues(folder) == [("subjects.csv", "row 2", "sex"), ("adverse_events.csv", "row 3", "start")]


def test_rendered_message_names_file_row_field(folder: Path) -> None:
    _set(folder / "subjects.csv", 3, "consent_date", "2022-02-30")
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert "subjects.csv [row 3] consent_date" in str(caught.value)


def test_check_records_exit_codes(folder: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["check-records", str(folder)])
    assert ok.exit_code == 0
    assert "20 subjects" in ok.output
    _set(folder / "subjects.csv", 3, "consent_date", "2022-02-30")
    bad = runner.invoke(main, ["check-records", str(folder)])
    assert bad.exit_code == 2
    assert "subjects.csv [row 3] consent_date" in bad.output
    assert "Traceback" not in bad.output
    assert bad.exception is None or isinstance(bad.exception, SystemExit)


def test_check_records_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check-records", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "records folder not found" in result.output
    assert "Traceback" not in result.output


def test_end_before_start_is_an_error(folder: Path) -> None:
    _set(folder / "adverse_events.csv", 2, "end", "2021-10-29")  # starts 2021-10-30T19:01
    _set(folder / "exposures.csv", 2, "end", "2021-10-30T09:59")  # starts 2021-10-30T10:00
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert [(i.where, i.key, i.field, i.message, i.value) for i in caught.value.issues] == [
        ("adverse_events.csv", "row 2", "end", "before the start 2021-10-30T19:01", "2021-10-29"),
        ("exposures.csv", "row 2", "end", "before the start 2021-10-30T10:00", "2021-10-30T09:59"),
    ]


def test_end_on_the_start_day_without_a_time_is_not_before_it(folder: Path) -> None:
    _set(folder / "adverse_events.csv", 2, "end", "2021-10-30")
    assert read_records(folder).adverse_events[0].end == "2021-10-30"


def test_a_visit_with_records_must_be_in_visits(folder: Path) -> None:
    rows = [row for row in csv_rows(folder / "visits.csv") if row[:2] != ["01-001", "1"]]
    save_rows(folder / "visits.csv", rows)
    issues = _issues(folder)
    rows = csv_rows(folder / "findings.csv")
    assert ("findings.csv", "row 2", "visit_num") in issues
    assert ("findings.csv", f"row {_first_row(rows, testcd='FVC') + 1}", "visit_num") in issues


def test_missing_visits_file_is_reported_for_findings(folder: Path) -> None:
    (folder / "visits.csv").unlink()
    with pytest.raises(InputError) as caught:
        read_records(folder)
    messages = {(i.where, i.field, i.message) for i in caught.value.issues}
    assert (
        "findings.csv",
        "visit_num",
        "this subject's visit is not in visits.csv (every visit with records needs its row there, for SV)",
    ) in messages


def test_finding_may_be_in_its_tests_standard_unit(tmp_path: Path) -> None:
    """XANAD01's GLUC is collected in mg/dL with standard unit mmol/L: a result in mmol/L reads (it is not
    converted), one in g/L does not."""
    out = tmp_path / "x"
    assert CliRunner().invoke(main, ["fixtures", "--study", "XANAD01", "-o", str(out)]).exit_code == 0
    rows = csv_rows(out / "findings.csv")
    row = _first_row(rows, testcd="GLUC")
    rows[row][rows[0].index("unit")] = "mmol/L"
    save_rows(out / "findings.csv", rows)
    assert read_records(out).findings
    rows[row][rows[0].index("unit")] = "g/L"
    save_rows(out / "findings.csv", rows)
    with pytest.raises(InputError) as caught:
        read_records(out)
    assert [(i.key, i.field, i.message) for i in caught.value.issues] == [
        (f"row {row + 1}", "unit", "the unit of GLUC is mg/dL or its standard unit mmol/L")
    ]
