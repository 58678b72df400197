"""write_records: schema column order, cell formatting, atomic replacement, and read_records(write_records(r)) == r."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialinterop.definition.model import StudyDefinition
from trialinterop.source import models as m
from trialinterop.source.generate import generate_trial
from trialinterop.source.reader import read_records
from trialinterop.source.writer import format_cell, write_records

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture(scope="module")
def study() -> StudyDefinition:
    return read_records(BUNDLED).definition


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), subjects=st.integers(min_value=1, max_value=40))
def test_round_trip_generated_trials(
    tmp_path_factory: pytest.TempPathFactory, study: StudyDefinition, seed: int, subjects: int
):
    records = generate_trial(study, subjects=subjects, seed=seed)
    folder = write_records(records, tmp_path_factory.mktemp("rt") / "records")
    assert read_records(folder) == records


def test_round_trip_bundled_fixture(tmp_path: Path) -> None:
    records = read_records(BUNDLED)
    assert read_records(write_records(records, tmp_path / "out")) == records


def test_bundled_csvs_are_what_the_writer_writes(tmp_path: Path) -> None:
    out = write_records(read_records(BUNDLED), tmp_path / "out")
    for path in sorted(BUNDLED.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_study_definition_is_copied_byte_for_byte(tmp_path: Path, study: StudyDefinition) -> None:
    out = write_records(m.TrialRecords(definition=study, subjects=()), tmp_path / "out")
    assert (out / "study.yaml").read_bytes() == (BUNDLED / "study.yaml").read_bytes()
    assert read_records(out).definition == study


def test_header_follows_schema_and_empty_table_has_header(tmp_path: Path, study: StudyDefinition) -> None:
    out = write_records(m.TrialRecords(definition=study, subjects=()), tmp_path / "out")
    assert (out / "visits.csv").read_text(encoding="utf-8") == (
        "subject_id,visit_num,visit_date,occurred,reason_not_done,unplanned_description\n"
    )


def test_cells(tmp_path: Path, study: StudyDefinition) -> None:
    subject = m.Subject("01-001", "01", "F", "ATG", "2022-01-03", "Y", race=("WHITE", "BLACK OR AFRICAN AMERICAN"))
    treated = replace(subject, subject_id="01-002", arm="ALLORX", attributes=(("methotrexate", "N"),))
    visits = (
        m.Visit("01-001", 3.0, "Y", "2022-02-02"),
        m.Visit("01-001", 3.01, "Y", "2022-02-20", unplanned_description="AE FOLLOW-UP"),
    )
    records = m.TrialRecords(definition=study, subjects=(subject, treated), visits=visits)
    out = write_records(records, tmp_path / "out")
    assert (out / "visits.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "01-001,3,2022-02-02,Y,,",
        "01-001,3.01,2022-02-20,Y,,AE FOLLOW-UP",
    ]
    assert (out / "subjects.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "01-001,01,F,,,WHITE|BLACK OR AFRICAN AMERICAN,,,,ATG,2022-01-03,Y,,,,"
    )
    assert (out / "subjects.csv").read_text(encoding="utf-8").splitlines()[2] == (
        "01-002,01,F,,,WHITE|BLACK OR AFRICAN AMERICAN,,ALLORX,,ATG,2022-01-03,Y,,,,N"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (1.0, "1"), (100.0, "100"), (3.01, "3.01"), (2.45, "2.45"), (7, "7"), (("A", "B"), "A|B"), ("x", "x")],
)
def test_format_cell(value: object, text: str) -> None:
    assert format_cell(value) == text


def test_failed_write_leaves_previous_folder(tmp_path: Path, study: StudyDefinition) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("previous", encoding="utf-8")
    broken = m.TrialRecords(definition=study, subjects=(replace(_subject(), race=(1, 2)),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        write_records(broken, target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _subject() -> m.Subject:
    return m.Subject("01-001", "01", "F", "ATG", "2022-01-03", "Y")
