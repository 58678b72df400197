"""SDTM and FHIR, both built from the same records, agree: one AdverseEvent per AE row (same subject, sponsor AE
number, start and end), one ResearchSubject per DM row with consent = RFICDTC, and every QS result equals its
Observation."""

from __future__ import annotations

import math

import pytest

from fhir_support import fixture_records
from trialinterop.ct import load_terminology
from trialinterop.fhir import build_resources
from trialinterop.sdtm.build import build_sdtm


@pytest.fixture(scope="module")
def sdtm():  # type: ignore[no-untyped-def]
    return build_sdtm(fixture_records(), load_terminology())


@pytest.fixture(scope="module")
def fhir() -> list[dict]:
    return list(build_resources(fixture_records(), version="R4"))


def same_moment(fhir_value: str | None, sdtm_value: object) -> bool:
    """FHIR completes SDTM local times with seconds and the site offset, or truncates an hour-only time to its date."""
    if sdtm_value is None or (isinstance(sdtm_value, float) and math.isnan(sdtm_value)) or sdtm_value == "":
        return fhir_value is None
    sdtm_text = str(sdtm_value)
    if fhir_value is None:
        return False
    return fhir_value.startswith(sdtm_text) or (len(fhir_value) == 10 and sdtm_text.startswith(fhir_value + "T"))


def patients_by_id(fhir: list[dict]) -> dict[str, str]:
    return {r["id"]: r["identifier"][0]["value"] for r in fhir if r["resourceType"] == "Patient"}


def test_one_adverse_event_per_ae_row(sdtm, fhir: list[dict]) -> None:  # type: ignore[no-untyped-def]
    subjects = patients_by_id(fhir)
    events = {}
    for r in fhir:
        if r["resourceType"] == "AdverseEvent":
            subject = subjects[r["subject"]["reference"].split("/")[1]]
            end = next((e["valueDateTime"] for e in r["extension"] if e["url"].endswith("/resolve-date")), None)
            events[(subject, r["identifier"]["value"].split("/")[1])] = (r["date"], end)
    ae = sdtm["AE"]
    assert len(events) == len(ae)
    for row in ae.itertuples():
        subjid = row.USUBJID.removeprefix(row.STUDYID + "-")
        start, end = events[(subjid, str(row.AESPID))]
        assert same_moment(start, row.AESTDTC), (row.USUBJID, row.AESPID, start, row.AESTDTC)
        assert same_moment(end, row.AEENDTC), (row.USUBJID, row.AESPID, end, row.AEENDTC)


def test_one_research_subject_per_dm_row_with_consent_date(sdtm, fhir: list[dict]) -> None:  # type: ignore[no-untyped-def]
    subjects = {r["identifier"][0]["value"]: r for r in fhir if r["resourceType"] == "ResearchSubject"}
    consents = {r["id"]: r for r in fhir if r["resourceType"] == "Consent"}
    dm = sdtm["DM"]
    assert sorted(subjects) == sorted(dm["SUBJID"])
    for row in dm.itertuples():
        subject = subjects[row.SUBJID]
        assert subject["period"]["start"] == row.RFICDTC
        assert consents[subject["consent"]["reference"].split("/")[1]]["dateTime"] == row.RFICDTC


def test_every_qs_result_equals_its_observation(sdtm, fhir: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Every QS test of the definition (NCT05016804: the mRSS), found by its Observation's sponsor identifier."""
    testcds = {t.testcd for i in fixture_records().definition.instruments_in("QS") for t in i.tests}
    subjects = patients_by_id(fhir)
    values = {}
    for r in fhir:
        if r["resourceType"] == "Observation" and r["identifier"][0]["value"].split("/")[-1] in testcds:
            key = r["identifier"][0]["value"]  # SUBJID/VISITNUM/QSTESTCD
            assert subjects[r["subject"]["reference"].split("/")[1]] == key.split("/")[0]
            values[key] = r.get("valueInteger")
    qs = sdtm["QS"]
    done = qs[qs["QSSTRESN"].notna()]
    assert len(done) > 0
    for row in done.itertuples():
        subjid = row.USUBJID.removeprefix(row.STUDYID + "-")
        visit = f"{row.VISITNUM:g}"
        assert values[f"{subjid}/{visit}/{row.QSTESTCD}"] == row.QSSTRESN, (row.USUBJID, visit, row.QSTESTCD)
