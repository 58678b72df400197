"""generate_trial and `trialinterop fixtures`: deterministic, loadable, and the bundled fixture's known content."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.source import models as m
from trialinterop.source.generate import generate_trial
from trialinterop.source.reader import read_records
from trialinterop.source.writer import write_records

BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@pytest.fixture(scope="module")
def study() -> m.Study:
    return read_records(BUNDLED).study


@pytest.fixture(scope="module")
def bundled() -> m.TrialRecords:
    return read_records(BUNDLED)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_files(tmp_path: Path, study: m.Study) -> None:
    a = write_records(generate_trial(study, subjects=30, seed=42), tmp_path / "a")
    b = write_records(generate_trial(study, subjects=30, seed=42), tmp_path / "b")
    assert _files(a) == _files(b)


def test_different_seed_different_files(tmp_path: Path, study: m.Study) -> None:
    a = write_records(generate_trial(study, subjects=30, seed=42), tmp_path / "a")
    b = write_records(generate_trial(study, subjects=30, seed=43), tmp_path / "b")
    assert _files(a)["subjects.csv"] != _files(b)["subjects.csv"]
    assert _files(a)["adverse_events.csv"] != _files(b)["adverse_events.csv"]


def test_bundled_fixture_is_generator_output(bundled: m.TrialRecords, study: m.Study) -> None:
    assert generate_trial(study, subjects=20, seed=5016804) == bundled


def test_bundled_fixture_content(bundled: m.TrialRecords) -> None:
    r = bundled
    assert len(r.subjects) == 20
    assert Counter(s.site_id for s in r.subjects) == {"01": 11, "02": 9}
    assert [s.subject_id for s in r.subjects if s.enrolled == "N"] == ["01-009", "02-007"]
    assert [(e.subject_id, e.criterion_id, e.result) for e in r.eligibility] == [
        ("01-009", "EXCL006", "Y"),
        ("02-007", "EXCL006", "Y"),
    ]
    assert Counter(d.event for d in r.dispositions) == {
        "COMPLETED": 4,
        "SCREEN FAILURE": 2,
        "LOST TO FOLLOW-UP": 1,
        "WITHDRAWAL BY SUBJECT": 1,
        "ADVERSE EVENT": 1,
        "DEATH": 1,
    }
    assert [(s.subject_id, s.death_date) for s in r.subjects if s.death_date] == [("02-002", "2023-06-10")]
    assert [(v.subject_id, v.visit_num) for v in r.visits if v.unplanned_description] == [
        ("01-004", 3.01),
        ("01-010", 3.01),
        ("02-004", 3.01),
    ]
    assert [(v.subject_id, v.visit_num) for v in r.visits if v.occurred == "N"] == [("01-003", 5.0), ("02-001", 3.0)]
    assert [(a.subject_id, a.ae_id, a.pt) for a in r.adverse_events if a.serious == "Y"] == [
        ("01-003", 3, "Pneumonia"),
        ("02-002", 1, "Pneumonia"),
        ("02-005", 5, "Urinary tract infection"),
    ]
    assert [(a.subject_id, a.outcome) for a in r.adverse_events if a.death == "Y"] == [("02-002", "FATAL")]
    assert sum(len(a.start) == 7 for a in r.adverse_events) == 2
    assert [(a.subject_id, a.term) for a in r.adverse_events if not a.is_coded] == [
        ("02-006", "DIGITAL ULCER LEFT THUMB")
    ]
    assert sum(e.treatment == "AUTOLOGOUS T-CELL VACCINE" for e in r.exposures) == 5
    assert sum(e.treatment == "ALLORX" for e in r.exposures) == 18
    assert sum(s.not_done_reason is not None for s in r.skin_scores) == 1
    assert sum(s.not_done_reason is not None for s in r.spirometry) == 1
    assert len(r.adverse_events) == 49


def test_generated_values_are_plausible(study: m.Study) -> None:
    r = generate_trial(study, subjects=200, seed=7)
    by_id = {s.subject_id: s for s in r.subjects}
    assert all(s.subject_id.startswith(s.site_id + "-") for s in r.subjects)
    assert {s.country for s in r.subjects} == {"ATG", "ARG"}
    females = sum(s.sex == "F" for s in r.subjects)
    assert 140 <= females <= 180
    for e in r.exposures:
        assert by_id[e.subject_id].enrolled == "Y"
        if e.treatment == "AUTOLOGOUS T-CELL VACCINE":
            assert by_id[e.subject_id].methotrexate == "Y"
    for a in r.adverse_events:
        if a.outcome in ("RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE"):
            assert a.end is not None
        if a.end is None:
            assert a.outcome in ("NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING")
    for sc in r.skin_scores:
        if sc.total is not None:
            assert sc.total == sum(sc.scores)  # type: ignore[arg-type]
    for sp in r.spirometry:
        if sp.fvc_l is not None:
            assert 1.8 <= sp.fvc_l <= 3.8
            assert sp.fvc_percent_predicted == round(100 * sp.fvc_l / sp.fvc_predicted_l, 1)
    assert all(v.visit_date is None or v.visit_date <= "2026-06-30" for v in r.visits)
    completed = {d.subject_id for d in r.dispositions if d.event == "COMPLETED"}
    month48 = {v.subject_id for v in r.visits if v.visit_num == 8.0 and v.occurred == "Y"}
    assert completed <= month48


def test_thousand_subjects_generate_and_load(tmp_path: Path, study: m.Study) -> None:
    records = generate_trial(study, subjects=1000, seed=1)
    assert len(records.subjects) == 1000
    assert read_records(write_records(records, tmp_path / "big")) == records


def test_fixtures_command(tmp_path: Path) -> None:
    out = tmp_path / "recs"
    result = CliRunner().invoke(main, ["fixtures", "-o", str(out), "--subjects", "20"])
    assert result.exit_code == 0, result.output
    assert _files(out) == _files(BUNDLED)


def test_fixtures_command_missing_study(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fixtures", "-o", str(tmp_path / "x"), "--study", str(tmp_path / "no.json")])
    assert result.exit_code == 2
    assert "study.json not found" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_fixtures_command_bad_study(tmp_path: Path) -> None:
    bad = tmp_path / "study.json"
    bad.write_text('{"study_id": "X"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["fixtures", "-o", str(tmp_path / "x"), "--study", str(bad)])
    assert result.exit_code == 2
    assert "study.json" in result.output
    assert "'nct_id' is a required property" in result.output
