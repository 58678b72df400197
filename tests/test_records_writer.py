"""write_records: schema column order, cell formatting, atomic replacement, and read_records(write_records(r)) == r."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialinterop.source import models as m
from trialinterop.source.generate import generate_trial
from trialinterop.source.reader import read_records
from trialinterop.source.writer import format_cell, write_records

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture(scope="module")
def study() -> m.Study:
    return read_records(BUNDLED).study


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), subjects=st.integers(min_value=1, max_value=40))
def test_round_trip_generated_trials(
    tmp_path_factory: pytest.TempPathFactory, study: m.Study, seed: int, subjects: int
):
    records = generate_trial(study, subjects=subjects, seed=seed)
    folder = write_records(records, tmp_path_factory.mktemp("rt") / "records")
    assert read_records(folder) == records


def test_round_trip_bundled_fixture(tmp_path: Path) -> None:
    records = read_records(BUNDLED)
    assert read_records(write_records(records, tmp_path / "out")) == records


def test_bundled_csvs_are_what_the_writer_writes(tmp_path: Path) -> None:
    out = write_records(read_records(BUNDLED), tmp_path / "out", study_source=BUNDLED / "study.json")
    for path in sorted(BUNDLED.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_study_json_keys_in_schema_order(tmp_path: Path, study: m.Study) -> None:
    out = write_records(m.TrialRecords(study=study, subjects=()), tmp_path / "out")
    doc = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert list(doc) == [
        "study_id", "nct_id", "brief_title", "official_title", "brief_summary", "sponsor", "overall_status",
        "study_type", "phase", "design", "enrollment_target", "sex", "minimum_age", "maximum_age",
        "healthy_volunteers", "start_date", "data_cutoff_date", "data_cutoff_description", "conditions", "arms",
        "interventions", "outcomes", "criteria", "sites", "visits",
    ]  # fmt: skip
    assert list(doc["interventions"][0]) == [
        "code", "name", "type", "description", "treatment", "dose", "dose_unit", "route", "dose_form", "frequency",
        "population",
    ]  # fmt: skip
    assert doc["visits"][2] == {
        "visit_num": 3,
        "name": "MONTH 1",
        "planned_day": 31,
        "start_rule": "1 month after the MSC infusion",
        "window_days": 7,
        "assessments": ["MRSS", "FVC", "AE"],
    }
    assert doc["interventions"][1]["dose"] is None
    assert doc["phase"] is None
    assert read_records(out).study == study


def test_header_follows_schema_and_empty_table_has_header(tmp_path: Path, study: m.Study) -> None:
    out = write_records(m.TrialRecords(study=study, subjects=()), tmp_path / "out")
    assert (out / "visits.csv").read_text(encoding="utf-8") == (
        "subject_id,visit_num,visit_date,occurred,reason_not_done,unplanned_description\n"
    )


def test_cells(tmp_path: Path, study: m.Study) -> None:
    subject = m.Subject("01-001", "01", "F", "ATG", "2022-01-03", "Y", race=("WHITE", "BLACK OR AFRICAN AMERICAN"))
    visits = (
        m.Visit("01-001", 3.0, "Y", "2022-02-02"),
        m.Visit("01-001", 3.01, "Y", "2022-02-20", unplanned_description="AE FOLLOW-UP"),
    )
    records = m.TrialRecords(study=study, subjects=(subject,), visits=visits)
    out = write_records(records, tmp_path / "out")
    assert (out / "visits.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "01-001,3,2022-02-02,Y,,",
        "01-001,3.01,2022-02-20,Y,,AE FOLLOW-UP",
    ]
    assert (out / "subjects.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "01-001,01,F,,,WHITE|BLACK OR AFRICAN AMERICAN,,ATG,2022-01-03,Y,,,"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (1.0, "1"), (100.0, "100"), (3.01, "3.01"), (2.45, "2.45"), (7, "7"), (("A", "B"), "A|B"), ("x", "x")],
)
def test_format_cell(value: object, text: str) -> None:
    assert format_cell(value) == text


def test_failed_write_leaves_previous_folder(tmp_path: Path, study: m.Study) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("previous", encoding="utf-8")
    broken = m.TrialRecords(study=study, subjects=(replace(_subject(), race=(1, 2)),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        write_records(broken, target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _subject() -> m.Subject:
    return m.Subject("01-001", "01", "F", "ATG", "2022-01-03", "Y")
