"""Round trip as a property: records -> FHIR (R4 and R5, Bundle and NDJSON) -> records (with the study definition) ->
SDTM gives the same datasets as records -> SDTM, for the bundled NCT05016804 fixtures (also with AEs incomplete at a
data cut), for hand-built XANAD01 records (3 arms, VS/LB/QS findings) and for generated trials of both studies; and
the records themselves come back equal (findings compared in one canonical order)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from round_trip_support import canonical
from trialinterop.cli import main
from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import load_fhir_trial
from trialinterop.sdtm.build import build_sdtm
from trialinterop.source import models as m
from trialinterop.source.generate import generate_records
from trialinterop.source.reader import read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@functools.cache
def _fixture_records() -> m.TrialRecords:
    """The bundled fixtures, read once (TrialRecords is frozen)."""
    return read_records(FIXTURES)


@functools.cache
def _fixture_sdtm() -> dict[str, pd.DataFrame]:
    """records -> SDTM of the bundled fixtures, built once: the expected side of most comparisons here."""
    return build_sdtm(_fixture_records(), load_terminology())


def _through_fhir(records: m.TrialRecords, folder: Path, version: str, form: str) -> m.TrialRecords:
    out = folder / (f"{version}-{form}" if form == "ndjson" else f"{version}-{form}.json")
    write_fhir(records, out, version=version, form=form)
    return load_fhir_trial(out, study=records.definition)


def _assert_same_datasets(expected: m.TrialRecords, actual: m.TrialRecords) -> None:
    terminology = load_terminology()
    before = _fixture_sdtm() if expected is _fixture_records() else build_sdtm(expected, terminology)
    after = build_sdtm(actual, terminology)
    assert list(after) == list(before)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("form", ["transaction", "collection", "ndjson"])
def test_fixture_trial_survives_fhir(tmp_path: Path, version: str, form: str) -> None:
    records = _fixture_records()
    back = _through_fhir(records, tmp_path, version, form)
    _assert_same_datasets(records, back)
    assert canonical(back) == canonical(records)  # every record field, not only what SDTM uses
    assert len(back.subjects) == 20 and len(back.adverse_events) == 44 and len(back.dispositions) == 10
    assert len(back.findings) == 1820 and len(back.medications) == 21 and len(back.medical_history) == 42


def _with_incomplete_aes(records: m.TrialRecords) -> m.TrialRecords:
    """The fixtures plus two AEs of subject 01-001 as a data cut has them: one with a term only, one with an end date
    and a severity but no start, seriousness, causality, action or outcome."""
    last = max(i for i, a in enumerate(records.adverse_events) if a.subject_id == "01-001")
    extra = (
        m.AdverseEvent("01-001", 98, "Malaise"),
        m.AdverseEvent("01-001", 99, "Headache at home", end="2021-11-02", severity="MILD"),
    )
    events = records.adverse_events[: last + 1] + extra + records.adverse_events[last + 1 :]
    return dataclasses.replace(records, adverse_events=events)


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_incomplete_adverse_events_survive_fhir(tmp_path: Path, version: str) -> None:
    records = _with_incomplete_aes(_fixture_records())
    back = _through_fhir(records, tmp_path, version, "collection")
    assert canonical(back) == canonical(records)
    _assert_same_datasets(records, back)
    (malaise,) = [a for a in back.adverse_events if a.ae_id == 98]
    assert (malaise.start, malaise.serious, malaise.severity, malaise.relationship) == (None, None, None, None)
    assert (malaise.action, malaise.outcome, malaise.end) == (None, None, None)
    (headache,) = [a for a in back.adverse_events if a.ae_id == 99]
    assert (headache.start, headache.end, headache.severity, headache.serious) == (None, "2021-11-02", "MILD", None)
    assert len(back.adverse_events) == 46


# --- XANAD01: three arms, findings in VS, LB and QS -------------------------------------------------------------------
def _xanad01_records() -> m.TrialRecords:
    """Four subjects of XANAD01: one per arm (the high-dose one actually given the low dose) and a screen failure;
    daily-patch exposures; vital signs with positions and time points, chemistry and haematology with units (one
    with its laboratory's own normal range, one with a trailing zero), ADAS-Cog items with their collected total,
    an NPI-X presence answer (text), CIBIC+, a weight not done."""
    subjects = (
        m.Subject("0001", "701", "F", "USA", "2013-01-02", "Y", age=76, race=("WHITE",), arm="Pbo"),
        m.Subject("0002", "703", "M", "USA", "2013-01-05", "Y", age=81, race=("WHITE",), arm="Xan_Lo"),
        m.Subject("0003", "704", "F", "USA", "2013-02-11", "Y", age=69, race=("BLACK OR AFRICAN AMERICAN",),
                  arm="Xan_Hi", actual_arm="Xan_Lo"),
        m.Subject("0004", "708", "M", "USA", "2013-02-20", "N", age=72, race=("WHITE",)),
    )  # fmt: skip
    exposures = (
        m.Exposure("0001", "PLACEBO", "2013-01-10", 0.0, "mg", "TRANSDERMAL", end="2013-07-09", dose_form="PATCH",
                   frequency="QD"),
        m.Exposure("0002", "XANOMELINE 54 MG", "2013-01-12", 54.0, "mg", "TRANSDERMAL", end="2013-07-11",
                   dose_form="PATCH", frequency="QD"),
        m.Exposure("0003", "XANOMELINE 54 MG", "2013-02-19", 54.0, "mg", "TRANSDERMAL", end="2013-03-04",
                   dose_form="PATCH", frequency="QD"),
    )  # fmt: skip
    supine, standing = "AFTER LYING DOWN FOR 5 MINUTES", "AFTER STANDING FOR 1 MINUTE"
    findings = (
        m.Finding("0001", "VS", "SYSBP", 1, supine, "2013-01-02T09:10", "138", "mmHg", position="SUPINE"),
        m.Finding("0001", "VS", "SYSBP", 1, standing, "2013-01-02T09:16", "131", "mmHg", position="STANDING"),
        m.Finding("0001", "VS", "TEMP", 1, None, "2013-01-02T09:10", "36.60", "C"),
        m.Finding("0001", "VS", "WEIGHT", 1, None, None, None, None, "NOT DONE", "SCALE BROKEN"),
        m.Finding("0001", "CHEM", "BILI", 1, None, "2013-01-02T08:30", "0.30", "mg/dL", normal_low=0.1,
                  normal_high=1.0),
        m.Finding("0001", "CHEM", "ALB", 1, None, "2013-01-02T08:30", "4.1", "g/dL"),
        m.Finding("0001", "HEMA", "HGB", 1, None, "2013-01-02T08:30", "13.5", "g/dL"),
        m.Finding("0001", "ADAS", "ACITM01", 3, None, "2013-01-10", "5"),
        m.Finding("0001", "ADAS", "ACITM02", 3, None, "2013-01-10", "1"),
        m.Finding("0001", "ADAS", "ACTOT", 3, None, "2013-01-10", "19"),
        m.Finding("0001", "NPIX", "NPITM01", 3, None, "2013-01-10", "ABSENT"),
        m.Finding("0002", "VS", "PULSE", 1, supine, "2013-01-05T10:00", "72", "beats/min", position="SUPINE"),
        m.Finding("0002", "CIBIC", "CIBIC", 3, None, "2013-01-12", "4"),
        m.Finding("0003", "VS", "DIABP", 1, supine, "2013-02-11T11:00", "84", "mmHg", position="SUPINE"),
    )  # fmt: skip
    visits = tuple(
        m.Visit(sid, number, "Y", day)
        for sid, number, day in (
            ("0001", 1, "2013-01-02"), ("0001", 3, "2013-01-10"), ("0002", 1, "2013-01-05"),
            ("0002", 3, "2013-01-12"), ("0003", 1, "2013-02-11"), ("0004", 1, "2013-02-20"),
        )
    )  # fmt: skip
    dispositions = (m.Disposition("0004", "SCREEN FAILURE", "Screen failure", "2013-02-27"),)
    return m.TrialRecords(
        definition=bundled_definition("XANAD01"),
        subjects=subjects,
        exposures=exposures,
        findings=findings,
        visits=visits,
        dispositions=dispositions,
    )


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_xanad01_records_survive_fhir(tmp_path: Path, version: str) -> None:
    records = _xanad01_records()
    back = _through_fhir(records, tmp_path, version, "collection")
    assert canonical(back) == canonical(records)
    assert [(s.arm, s.actual_arm) for s in back.subjects] == [
        ("Pbo", None), ("Xan_Lo", None), ("Xan_Hi", "Xan_Lo"), (None, None),
    ]  # fmt: skip
    by_key = {(f.subject_id, f.testcd, f.timepoint): f for f in back.findings}
    standing = by_key[("0001", "SYSBP", "AFTER STANDING FOR 1 MINUTE")]
    assert (standing.result, standing.unit, standing.position) == ("131", "mmHg", "STANDING")
    bilirubin = by_key[("0001", "BILI", None)]
    assert (bilirubin.result, bilirubin.normal_low, bilirubin.normal_high) == ("0.30", 0.1, 1.0)
    assert by_key[("0001", "ALB", None)].normal_low is None  # the test's own range: not repeated in the record
    weight = by_key[("0001", "WEIGHT", None)]
    assert (weight.status, weight.reason_not_done, weight.result) == ("NOT DONE", "SCALE BROKEN", None)
    assert by_key[("0001", "NPITM01", None)].result == "ABSENT"


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_xanad01_sdtm_is_the_same_through_fhir(tmp_path: Path, version: str) -> None:
    records = canonical(_xanad01_records())  # the SDTM builders keep the records' order in categories
    _assert_same_datasets(records, _through_fhir(records, tmp_path, version, "collection"))


# --- the CLI path -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def direct_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`to-sdtm` of the bundled fixtures (XPT only), written once for both versions below."""
    out = tmp_path_factory.mktemp("direct") / "sdtm"
    direct = CliRunner().invoke(main, ["to-sdtm", str(FIXTURES), "-o", str(out), "--no-define"])
    assert direct.exit_code == 0, direct.output
    return out


@pytest.mark.parametrize(("version", "form", "study"), [("R4", "transaction", "NCT05016804"), ("R5", "ndjson", "file")])
def test_written_packages_are_equal(tmp_path: Path, direct_package: Path, version: str, form: str, study: str) -> None:
    """The CLI path end to end: every XPT of fhir-to-sdtm decodes to the same frame as the one of to-sdtm."""
    fhir_out = tmp_path / ("fhir" if form == "ndjson" else "fhir.json")
    write_fhir(_fixture_records(), fhir_out, version=version, form=form)
    given = str(FIXTURES / "study.yaml") if study == "file" else study
    arguments = ["fhir-to-sdtm", str(fhir_out), "-o", str(tmp_path / "via"), "--no-define", "--study", given]
    via = CliRunner().invoke(main, arguments)
    assert via.exit_code == 0, via.output
    names = sorted(p.name for p in direct_package.glob("*.xpt"))
    assert names == sorted(p.name for p in (tmp_path / "via").glob("*.xpt"))
    assert "ae.xpt" in names and "dm.xpt" in names and "qs.xpt" in names and "re.xpt" in names
    for name in names:
        frame_direct, meta_direct = pyreadstat.read_xport(str(direct_package / name))
        frame_via, meta_via = pyreadstat.read_xport(str(tmp_path / "via" / name))
        pd.testing.assert_frame_equal(frame_via, frame_direct, obj=name)
        assert meta_via.column_names_to_labels == meta_direct.column_names_to_labels


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subjects=st.integers(min_value=1, max_value=12),
    seed=st.integers(min_value=0, max_value=10_000),
    version=st.sampled_from(["R4", "R5"]),
    study=st.sampled_from(["NCT05016804", "XANAD01"]),
)
def test_generated_trials_survive_fhir(tmp_path_factory, subjects: int, seed: int, version: str, study: str) -> None:  # type: ignore[no-untyped-def]
    generated = generate_records(bundled_definition(study), subjects=subjects, seed=seed)
    # FHIR carries no concomitant medications or medical history yet (to-fhir emits none): compared without them
    records = canonical(dataclasses.replace(generated, medications=(), medical_history=()))
    back = _through_fhir(records, tmp_path_factory.mktemp("rt"), version, "collection")
    _assert_same_datasets(records, back)
    assert canonical(back) == canonical(records)
