"""generate_records and `trialinterop fixtures`: any study definition, deterministic, loadable, every branch."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.definition import StudyDefinition, bundled_definition
from trialinterop.source import models as m
from trialinterop.source.generate import duration_days, generate_records
from trialinterop.source.reader import read_records
from trialinterop.source.writer import write_records


@pytest.fixture(scope="module")
def nct() -> StudyDefinition:
    return bundled_definition("NCT05016804")


@pytest.fixture(scope="module")
def xanad() -> StudyDefinition:
    return bundled_definition("XANAD01")


@pytest.fixture(scope="module")
def nct20(nct: StudyDefinition) -> m.TrialRecords:
    return generate_records(nct, subjects=20, seed=5016804)


@pytest.fixture(scope="module")
def xanad20(xanad: StudyDefinition) -> m.TrialRecords:
    return generate_records(xanad, subjects=20, seed=1)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_files(tmp_path: Path, xanad: StudyDefinition) -> None:
    a = write_records(generate_records(xanad, subjects=12, seed=42), tmp_path / "a")
    b = write_records(generate_records(xanad, subjects=12, seed=42), tmp_path / "b")
    assert _files(a) == _files(b)
    c = write_records(generate_records(xanad, subjects=12, seed=43), tmp_path / "c")
    assert _files(a)["subjects.csv"] != _files(c)["subjects.csv"]
    assert _files(a)["findings.csv"] != _files(c)["findings.csv"]


@pytest.mark.parametrize("study", ["NCT05016804", "XANAD01"])
@pytest.mark.parametrize(("subjects", "seed"), [(1, 3), (7, 11), (20, 5)])
def test_generated_records_load_back_equal(tmp_path: Path, study: str, subjects: int, seed: int) -> None:
    records = generate_records(bundled_definition(study), subjects=subjects, seed=seed)
    folder = write_records(records, tmp_path / "records")
    assert (folder / "study.yaml").is_file()
    assert read_records(folder) == records


def test_nct05016804_twenty_subjects(nct20: m.TrialRecords) -> None:
    r = nct20
    assert Counter(s.site_id for s in r.subjects) == {"01": 11, "02": 9}
    assert {s.subject_id[:3] for s in r.subjects} == {"01-", "02-"}
    assert {(s.site_id, s.country) for s in r.subjects} == {("01", "ATG"), ("02", "ARG")}
    assert {s.arm for s in r.subjects} == {None}  # one arm: left empty
    assert [s.subject_id for s in r.subjects if s.enrolled == "N"] == ["01-009", "02-007"]
    assert [(e.subject_id, e.criterion_id, e.result) for e in r.eligibility] == [
        ("01-009", "INCL001", "N"),
        ("02-007", "INCL002", "N"),
    ]
    assert Counter(d.event for d in r.dispositions) == {
        "COMPLETED": 4, "SCREEN FAILURE": 2, "LOST TO FOLLOW-UP": 1, "WITHDRAWAL BY SUBJECT": 1, "ADVERSE EVENT": 1,
        "DEATH": 1,
    }  # fmt: skip
    assert [(s.subject_id, s.death_date) for s in r.subjects if s.death_date] == [("02-002", "2022-10-21")]
    assert [(v.subject_id, v.visit_num) for v in r.visits if v.unplanned_description] == [
        ("01-006", 3.01),
        ("01-008", 3.01),
    ]
    assert [(v.subject_id, v.visit_num) for v in r.visits if v.occurred == "N"] == [("01-010", 4), ("02-006", 3)]
    assert sum(a.serious == "Y" for a in r.adverse_events) == 5
    assert sum(len(a.start or "") == 7 for a in r.adverse_events) == 3
    assert [(a.subject_id, a.term) for a in r.adverse_events if not a.is_coded] == [("02-008", "Sore and itchy eyes")]
    assert Counter(e.treatment for e in r.exposures) == {"ALLORX": 18, "AUTOLOGOUS T-CELL VACCINE": 7}
    assert len(r.adverse_events) == 44
    assert (len(r.medications), len(r.medical_history)) == (21, 42)


def test_nct05016804_given_when_and_preceded_by(nct20: m.TrialRecords) -> None:
    by_id = {s.subject_id: s for s in nct20.subjects}
    vaccine = [e for e in nct20.exposures if e.treatment == "AUTOLOGOUS T-CELL VACCINE"]
    for e in vaccine:
        subject = by_id[e.subject_id]
        assert (subject.attribute("severity_group"), subject.attribute("methotrexate")) == ("SEVERE", "Y")
        assert e.preceded_by_date is not None and e.preceded_by_date < e.start[:10]
    assert all(e.preceded_by_date is None for e in nct20.exposures if e.treatment == "ALLORX")


def test_nct05016804_findings(nct20: m.TrialRecords) -> None:
    not_done = Counter((f.instrument, f.subject_id, f.visit_num) for f in nct20.findings if f.status == "NOT DONE")
    assert not_done == {("MRSS", "01-003", 6): 17, ("FVC", "01-006", 4): 2, ("MRSS", "01-001", 5): 1,
                        ("FVC", "01-001", 7): 1}  # fmt: skip
    assert sum(f.testcd == "MRSS0118" for f in nct20.findings) == 72  # collected totals; the others are derived
    fvc = [f for f in nct20.findings if f.testcd == "FVC" and f.result is not None]
    assert {(f.unit, f.position) for f in fvc} == {("L", "SITTING")}
    assert all(f.reference_result is not None for f in fvc)
    for f in nct20.findings:
        if f.instrument == "MRSS" and f.result is not None and f.testcd != "MRSS0118":
            assert 0 <= int(f.result) <= 3 and f.unit is None


def test_xanad01_twenty_subjects(xanad20: m.TrialRecords) -> None:
    r = xanad20
    assert [s.subject_id for s in r.subjects][:3] == ["0001", "0002", "0003"]
    assert {s.country for s in r.subjects} == {"USA"}
    assert Counter(s.arm for s in r.subjects) == {"Pbo": 6, "Xan_Lo": 6, "Xan_Hi": 6, None: 2}
    assert all(s.arm is None for s in r.subjects if s.enrolled == "N")
    arms = {s.subject_id: s.arm for s in r.subjects}
    assert {(arms[e.subject_id], e.treatment) for e in r.exposures} == {
        ("Pbo", "PLACEBO"),
        ("Xan_Lo", "XANOMELINE 54 MG"),
        ("Xan_Hi", "XANOMELINE 54 MG"),
        ("Xan_Hi", "XANOMELINE 81 MG"),
    }
    assert [(e.subject_id, e.criterion_id, e.result) for e in r.eligibility] == [
        ("0016", "EXCL22", "Y"),
        ("0019", "INCL01", "N"),
    ]
    assert {f.instrument for f in r.findings} == {"ADAS", "CIBIC", "NPIX", "VS", "CHEM", "HEMA"}
    assert {f.result for f in r.findings if f.testcd == "NPITM01"} == {"ABSENT", "PRESENT", None}  # None: NOT DONE


def test_xanad01_high_dose_regimen(xanad20: m.TrialRecords) -> None:
    """Xan_Hi: 54 mg for 2 weeks, 81 mg to the week-24 visit, 54 mg after it (elements HIS, HIM, HIE)."""
    arms = {s.subject_id: s.arm for s in xanad20.subjects}
    visits = {(v.subject_id, v.visit_num): v.visit_date for v in xanad20.visits}
    completed = {d.subject_id for d in xanad20.dispositions if d.event == "COMPLETED"}
    for sid in sorted(s for s, arm in arms.items() if arm == "Xan_Hi" and s in completed):
        rows = _dosing_periods(xanad20, sid)
        assert [(e.treatment, e.frequency) for e in rows] == [
            ("XANOMELINE 54 MG", "QD"), ("XANOMELINE 81 MG", "QD"), ("XANOMELINE 54 MG", "QD")
        ]  # fmt: skip
        assert duration_days("P2W") == 14
        first, middle, last = rows
        assert first.end is not None and middle.end is not None
        assert middle.start > first.end and last.start == visits[(sid, 12)] and middle.end < last.start
    for sid in (s for s, arm in arms.items() if arm in ("Pbo", "Xan_Lo")):
        assert len(_dosing_periods(xanad20, sid)) == 1


def test_xanad01_daily_dosing_is_one_row_per_interval_between_visits(xanad20: m.TrialRecords) -> None:
    """Supplies are dispensed at visits: each row ends the day before the next visit, rows touch without a gap."""
    visit_days = {(v.subject_id, v.visit_date) for v in xanad20.visits if v.visit_date}
    for sid in {e.subject_id for e in xanad20.exposures}:
        rows = [e for e in xanad20.exposures if e.subject_id == sid]
        assert len(rows) > 1
        for before, after in itertools.pairwise(rows):
            assert before.end is not None
            assert date.fromisoformat(after.start) == date.fromisoformat(before.end) + timedelta(days=1)
            if after.treatment == before.treatment:  # a new row of the same dose: new supplies at a visit
                assert (sid, after.start) in visit_days


def _dosing_periods(records: m.TrialRecords, sid: str) -> list[m.Exposure]:
    """A subject's exposure rows with consecutive rows of one treatment merged (one row per dosing period)."""
    merged: list[m.Exposure] = []
    for row in (e for e in records.exposures if e.subject_id == sid):
        if merged and merged[-1].treatment == row.treatment:
            merged[-1] = dataclasses.replace(merged[-1], end=row.end)
        else:
            merged.append(row)
    return merged


def test_xanad01_totals_equal_their_items(xanad20: m.TrialRecords, xanad: StudyDefinition) -> None:
    results = {(f.subject_id, f.instrument, f.visit_num, f.testcd): f.result for f in xanad20.findings}
    totals = [f for f in xanad20.findings if f.testcd in ("ACTOT", "NPTOT")]
    assert totals
    for f in totals:
        test = xanad.instrument(f.instrument).test(f.testcd)  # type: ignore[union-attr]
        parts = [results[(f.subject_id, f.instrument, f.visit_num, t)] for t in test.total_of]  # type: ignore[union-attr]
        assert float(f.result or "") == sum(float(p or "") for p in parts)


def test_fixtures_command_default_study(tmp_path: Path) -> None:
    out = tmp_path / "recs"
    result = CliRunner().invoke(main, ["fixtures", "-o", str(out), "--subjects", "5", "--seed", "9"])
    assert result.exit_code == 0, result.output
    records = read_records(out)
    assert records.definition.study.id == "NCT05016804"
    assert len(records.subjects) == 5


def test_fixtures_command_bundled_id(tmp_path: Path) -> None:
    out = tmp_path / "recs"
    result = CliRunner().invoke(main, ["fixtures", "-o", str(out), "--subjects", "4", "--study", "xanad01"])
    assert result.exit_code == 0, result.output
    assert read_records(out).definition.study.id == "XANAD01"


def test_fixtures_command_missing_study(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fixtures", "-o", str(tmp_path / "x"), "--study", str(tmp_path / "no.yaml")])
    assert result.exit_code == 2
    assert "study definition file not found" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_fixtures_command_bad_study(tmp_path: Path) -> None:
    bad = tmp_path / "study.yaml"
    bad.write_text("study: {id: X}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fixtures", "-o", str(tmp_path / "x"), "--study", str(bad)])
    assert result.exit_code == 2
    assert "study.yaml" in result.output
    assert "Traceback" not in result.output
