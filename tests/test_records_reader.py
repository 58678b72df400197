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
    rows = csv_rows(folder / "spirometry.csv")
    rows[4] = rows[4][:-2]
    save_rows(folder / "spirometry.csv", rows)
    issues = _issues(folder)
    assert issues == [("spirometry.csv", "row 5", "")]


def test_wrong_cell_count_message(folder: Path) -> None:
    rows = csv_rows(folder / "spirometry.csv")
    rows[4] = rows[4][:-2]
    save_rows(folder / "spirometry.csv", rows)
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert caught.value.issues[0].message == "has 6 cells, the header has 8"


def test_duplicate_key(folder: Path) -> None:
    rows = csv_rows(folder / "visits.csv")
    rows.insert(3, rows[2])  # second copy becomes row 4
    save_rows(folder / "visits.csv", rows)
    assert _issues(folder) == [("visits.csv", "row 4", "subject_id,visit_num")]


def test_subject_not_in_subjects(folder: Path) -> None:
    _set(folder / "exposures.csv", 2, "subject_id", "09-999")
    assert _issues(folder) == [("exposures.csv", "row 2", "subject_id")]


def test_bad_mrss_total(folder: Path) -> None:
    rows = csv_rows(folder / "skin_scores.csv")
    header = rows[0]
    row = next(i for i, r in enumerate(rows) if i and r[header.index("total")])
    rows[row][header.index("total")] = str(int(rows[row][header.index("total")]) + 1)
    save_rows(folder / "skin_scores.csv", rows)
    assert _issues(folder) == [("skin_scores.csv", f"row {row + 1}", "total")]


INCOMPLETE_AE_FIELDS = ("start", "serious", "severity", "relationship", "action", "outcome")


def test_incomplete_adverse_event_reads_with_nulls(folder: Path) -> None:
    for column in INCOMPLETE_AE_FIELDS:
        _set(folder / "adverse_events.csv", 2, column, "")
    event = read_records(folder).adverse_events[0]
    assert (event.subject_id, event.ae_id, event.term) == ("01-001", 1, "INFUSION RELATED REACTION")
    assert [getattr(event, c) for c in INCOMPLETE_AE_FIELDS] == [None, None, None, None, None, None]
    assert event.end == "2021-10-29T13:03"


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
    _set(folder / "adverse_events.csv", 2, "end", "2021-10-28")  # starts 2021-10-29T10:41
    _set(folder / "exposures.csv", 2, "end", "2021-10-29T10:29")  # starts 2021-10-29T10:30
    with pytest.raises(InputError) as caught:
        read_records(folder)
    assert [(i.where, i.key, i.field, i.message, i.value) for i in caught.value.issues] == [
        ("adverse_events.csv", "row 2", "end", "before the start 2021-10-29T10:41", "2021-10-28"),
        ("exposures.csv", "row 2", "end", "before the start 2021-10-29T10:30", "2021-10-29T10:29"),
    ]


def test_end_on_the_start_day_without_a_time_is_not_before_it(folder: Path) -> None:
    _set(folder / "adverse_events.csv", 2, "end", "2021-10-29")
    assert read_records(folder).adverse_events[0].end == "2021-10-29"


def test_a_visit_with_records_must_be_in_visits(folder: Path) -> None:
    rows = [row for row in csv_rows(folder / "visits.csv") if row[:2] != ["01-001", "1"]]
    save_rows(folder / "visits.csv", rows)
    issues = _issues(folder)
    assert ("skin_scores.csv", "row 2", "visit_num") in issues
    assert ("spirometry.csv", "row 2", "visit_num") in issues


def test_missing_visits_file_is_reported_for_findings(folder: Path) -> None:
    (folder / "visits.csv").unlink()
    with pytest.raises(InputError) as caught:
        read_records(folder)
    messages = {(i.where, i.field, i.message) for i in caught.value.issues}
    assert (
        "skin_scores.csv",
        "visit_num",
        "this subject's visit is not in visits.csv (every visit with records needs its row there, for SV)",
    ) in messages
