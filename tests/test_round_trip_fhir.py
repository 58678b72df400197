"""Round trip as a property: records -> FHIR (R4 and R5, Bundle and NDJSON) -> records -> SDTM gives the same datasets
as records -> SDTM, for the bundled fixtures (also with AEs incomplete at a data cut) and for generated trials; and the
records themselves come back equal."""

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

from trialinterop.cli import main
from trialinterop.ct import load_terminology
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import load_fhir_trial
from trialinterop.sdtm.build import build_sdtm
from trialinterop.source.generate import generate_trial
from trialinterop.source.models import AdverseEvent, TrialRecords
from trialinterop.source.reader import read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"


@functools.cache
def _fixture_records() -> TrialRecords:
    """The bundled fixtures, read once (TrialRecords is frozen)."""
    return read_records(FIXTURES)


@functools.cache
def _fixture_sdtm() -> dict[str, pd.DataFrame]:
    """records -> SDTM of the bundled fixtures, built once: the expected side of most comparisons here."""
    return build_sdtm(_fixture_records(), load_terminology())


def _through_fhir(records: TrialRecords, folder: Path, version: str, form: str) -> TrialRecords:
    out = folder / (f"{version}-{form}" if form == "ndjson" else f"{version}-{form}.json")
    write_fhir(records, out, version=version, form=form)
    return load_fhir_trial(out)


def _assert_same_datasets(expected: TrialRecords, actual: TrialRecords) -> None:
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
    assert back == records  # every record field, not only what SDTM uses
    assert len(back.subjects) == 20 and len(back.adverse_events) == 49 and len(back.dispositions) == 10


def _with_incomplete_aes(records: TrialRecords) -> TrialRecords:
    """The fixtures plus two AEs of subject 01-001 as a data cut has them: one with a term only, one with an end date
    and a severity but no start, seriousness, causality, action or outcome."""
    last = max(i for i, a in enumerate(records.adverse_events) if a.subject_id == "01-001")
    extra = (
        AdverseEvent("01-001", 98, "Malaise"),
        AdverseEvent("01-001", 99, "Headache at home", end="2021-11-02", severity="MILD"),
    )
    events = records.adverse_events[: last + 1] + extra + records.adverse_events[last + 1 :]
    return dataclasses.replace(records, adverse_events=events)


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_incomplete_adverse_events_survive_fhir(tmp_path: Path, version: str) -> None:
    records = _with_incomplete_aes(_fixture_records())
    back = _through_fhir(records, tmp_path, version, "collection")
    assert back == records
    _assert_same_datasets(records, back)
    (malaise,) = [a for a in back.adverse_events if a.ae_id == 98]
    assert (malaise.start, malaise.serious, malaise.severity, malaise.relationship) == (None, None, None, None)
    assert (malaise.action, malaise.outcome, malaise.end) == (None, None, None)
    (headache,) = [a for a in back.adverse_events if a.ae_id == 99]
    assert (headache.start, headache.end, headache.severity, headache.serious) == (None, "2021-11-02", "MILD", None)
    assert len(back.adverse_events) == 51


@pytest.fixture(scope="module")
def direct_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`to-sdtm` of the bundled fixtures (XPT only), written once for both versions below."""
    out = tmp_path_factory.mktemp("direct") / "sdtm"
    direct = CliRunner().invoke(main, ["to-sdtm", str(FIXTURES), "-o", str(out), "--no-define"])
    assert direct.exit_code == 0, direct.output
    return out


@pytest.mark.parametrize(("version", "form"), [("R4", "transaction"), ("R5", "ndjson")])
def test_written_packages_are_equal(tmp_path: Path, direct_package: Path, version: str, form: str) -> None:
    """The CLI path end to end: every XPT of fhir-to-sdtm decodes to the same frame as the one of to-sdtm."""
    fhir_out = tmp_path / ("fhir" if form == "ndjson" else "fhir.json")
    write_fhir(_fixture_records(), fhir_out, version=version, form=form)
    via = CliRunner().invoke(main, ["fhir-to-sdtm", str(fhir_out), "-o", str(tmp_path / "via"), "--no-define"])
    assert via.exit_code == 0, via.output
    names = sorted(p.name for p in direct_package.glob("*.xpt"))
    assert names == sorted(p.name for p in (tmp_path / "via").glob("*.xpt"))
    assert "ae.xpt" in names and "dm.xpt" in names and "qs.xpt" in names
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
)
def test_generated_trials_survive_fhir(tmp_path_factory, subjects: int, seed: int, version: str) -> None:  # type: ignore[no-untyped-def]
    records = generate_trial(_fixture_records().study, subjects=subjects, seed=seed)
    back = _through_fhir(records, tmp_path_factory.mktemp("rt"), version, "collection")
    _assert_same_datasets(records, back)
    assert back == records
