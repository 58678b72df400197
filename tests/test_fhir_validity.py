"""Validity by construction, proven: every resource built for the fixtures and for generated records passes
`model_validate` of the matching fhir.resources class (R4 output against the R4B models, R5 against R5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_support import fixture_records, small_records, validate_all
from trialinterop.fhir import build_resources
from trialinterop.source import models as m
from trialinterop.source.generate import generate_trial


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_every_fixture_resource_validates(version: str) -> None:
    resources = list(build_resources(fixture_records(), version=version))
    assert len(resources) > 1000
    assert validate_all(resources, version) == []


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_generated_trial_with_other_seed_validates(version: str) -> None:
    records = generate_trial(fixture_records().definition, subjects=8, seed=20260630)
    assert validate_all(list(build_resources(records, version=version)), version) == []


def test_validation_is_not_vacuous() -> None:
    """The model check rejects what it should: an unknown element and a bad date."""
    patient = next(r for r in build_resources(small_records(), version="R4") if r["resourceType"] == "Patient")
    assert validate_all([{**patient, "name": "x"}], "R4") != []
    assert validate_all([{**patient, "birthDate": "1970-13"}], "R4") != []
    assert validate_all([{**patient, "individual": {"reference": "Patient/1"}}], "R5") != []


# --- property test over generated records -------------------------------------------------------------------------

YN = st.sampled_from(["Y", "N"])
YN_OR_NONE = st.one_of(st.none(), YN)


@st.composite
def dtc(draw: st.DrawFn, *, times: bool = True) -> str:
    """ISO 8601 values at every precision the records allow."""
    day = date(2021, 8, 16) + timedelta(days=draw(st.integers(0, 1800)))
    precision = draw(st.sampled_from(["Y", "M", "D", "H", "HM", "HMS"] if times else ["Y", "M", "D"]))
    text = {"Y": f"{day:%Y}", "M": f"{day:%Y-%m}"}.get(precision, day.isoformat())
    if precision in ("H", "HM", "HMS"):
        text += f"T{draw(st.integers(0, 23)):02d}"
        if precision != "H":
            text += f":{draw(st.integers(0, 59)):02d}"
        if precision == "HMS":
            text += f":{draw(st.integers(0, 59)):02d}"
    return text


def full_date() -> st.SearchStrategy[str]:
    return st.dates(date(2021, 8, 16), date(2026, 6, 30)).map(date.isoformat)


@st.composite
def adverse_event(draw: st.DrawFn, ae_id: int) -> m.AdverseEvent:
    serious = draw(st.one_of(st.none(), YN))  # None: incomplete at a data cut
    coded = draw(st.booleans())
    return m.AdverseEvent(
        subject_id="01-001",
        ae_id=ae_id,
        term=draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)),
        start=draw(st.one_of(st.none(), dtc())),
        end=draw(st.one_of(st.none(), dtc())),
        serious=serious,
        severity=draw(st.sampled_from([None, "MILD", "MODERATE", "SEVERE"])),
        relationship=draw(st.sampled_from([None, "NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "RELATED"])),
        action=draw(st.sampled_from([None, "DOSE NOT CHANGED", "NOT APPLICABLE", "UNKNOWN", "DRUG WITHDRAWN"])),
        outcome=draw(st.sampled_from([None, "FATAL", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED",
                                      "RECOVERED/RESOLVED WITH SEQUELAE", "RECOVERING/RESOLVING", "UNKNOWN"])),
        pt="Pyrexia" if coded else None,
        pt_code=10037660 if coded else None,
        llt="Fever" if coded else None,
        llt_code=10016558 if coded else None,
        meddra_version=draw(st.sampled_from([None, "27.1"])) if coded else None,
        death=draw(YN_OR_NONE) if serious == "Y" else None,
        hospitalization="Y" if serious == "Y" else None,
        medically_important=draw(YN_OR_NONE) if serious == "Y" else None,
        serious_specify=draw(st.sampled_from([None, "needed IV antibiotics", "\u00a0", "IV\u2003antibiotics"])),
        ctcae_grade=draw(st.one_of(st.none(), st.integers(1, 5))),
    )  # fmt: skip


@st.composite
def mrss_rows(draw: st.DrawFn, visit_num: float) -> tuple[m.Finding, ...]:
    """One mRSS assessment in long form: done (areas scored or missing, total collected or not) or not done."""
    if draw(st.booleans()) and draw(st.booleans()):
        return tuple(
            m.Finding(
                "01-001", "MRSS", f"MRSS01{n:02d}", visit_num, status="NOT DONE", reason_not_done="patient unwell"
            )
            for n in range(1, 18)
        )
    when = draw(st.one_of(st.none(), full_date()))
    rows = [
        m.Finding("01-001", "MRSS", f"MRSS01{n:02d}", visit_num, datetime=when,
                  result=draw(st.one_of(st.none(), st.integers(0, 3).map(str))))
        for n in range(1, 18)
    ]  # fmt: skip
    total = draw(st.one_of(st.none(), st.integers(0, 51)))
    if total is not None:
        rows.append(m.Finding("01-001", "MRSS", "MRSS0118", visit_num, datetime=when, result=str(total)))
    return tuple(rows)


@st.composite
def spirometry_rows(draw: st.DrawFn, visit_num: float) -> tuple[m.Finding, ...]:
    when = draw(st.one_of(st.none(), dtc()))
    position = draw(st.sampled_from([None, "SITTING", "STANDING"]))
    if draw(st.booleans()) and draw(st.booleans()):
        return tuple(
            m.Finding("01-001", "FVC", cd, visit_num, status="NOT DONE", reason_not_done="spirometer broken")
            for cd in ("FVC", "FVCPP")
        )
    litres = draw(st.one_of(st.none(), st.floats(0.5, 6, allow_nan=False).map(lambda v: f"{v:.2f}")))
    predicted = draw(st.one_of(st.none(), st.floats(1, 6).map(lambda v: f"{v:.2f}")))
    percent = draw(st.one_of(st.none(), st.floats(10, 150).map(lambda v: f"{v:.1f}")))
    return (
        m.Finding("01-001", "FVC", "FVC", visit_num, datetime=when, result=litres, unit="L", position=position,
                  reference_result=predicted, normal_low=draw(st.one_of(st.none(), st.floats(1, 3)))),
        m.Finding("01-001", "FVC", "FVCPP", visit_num, datetime=when, result=percent, unit="%"),
    )  # fmt: skip


@st.composite
def trial(draw: st.DrawFn) -> m.TrialRecords:
    aes = tuple(draw(adverse_event(n)) for n in range(1, draw(st.integers(0, 3)) + 1))
    visit_num = draw(st.sampled_from([1.0, 3.0, 3.01]))
    findings = draw(mrss_rows(visit_num)) + draw(spirometry_rows(visit_num))
    visit = m.Visit("01-001", visit_num, draw(YN), visit_date=draw(full_date()),
                    reason_not_done=draw(st.sampled_from([None, "missed", "\u00a0"])),
                    unplanned_description="flare" if visit_num == 3.01 else None)  # fmt: skip
    exposure = m.Exposure("01-001", draw(st.sampled_from(["ALLORX", "AUTOLOGOUS T-CELL VACCINE"])), draw(dtc()),
                          draw(st.floats(0.1, 500)), "10^6 Therapeutic Cells",
                          draw(st.sampled_from(["INTRAVENOUS", "SUBCUTANEOUS"])),
                          lot=draw(st.sampled_from([None, "L1"])),
                          preceded_by_date=draw(st.one_of(st.none(), full_date())))  # fmt: skip
    dispositions = tuple(
        m.Disposition("01-001", event, event.title(), draw(full_date()))
        for event in draw(st.lists(st.sampled_from(["COMPLETED", "DEATH", "LOST TO FOLLOW-UP"]), max_size=1))
    )
    eligibility = (m.EligibilityException("02-001", "EXCL004", "Y", draw(st.one_of(st.none(), full_date()))),)
    return small_records(
        adverse_events=aes, findings=findings, visits=(visit,), exposures=(exposure,), dispositions=dispositions,
        eligibility=eligibility,
    )  # fmt: skip


@pytest.mark.parametrize("version", ["R4", "R5"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=trial())
def test_generated_records_validate(version: str, records: m.TrialRecords) -> None:
    assert validate_all(list(build_resources(records, version=version)), version) == []
