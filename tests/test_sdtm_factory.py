"""Tiny hand-made TrialRecords for the SDTM builder tests (imported by the other test_sdtm_* modules).

Four subjects around one AlloRx infusion on 2022-03-10T10:00:
- 01-001 treated (infusion + T-cell vaccine), two races, complete birth date, completed the study;
- 01-002 screen failure;
- 01-003 enrolled but never dosed;
- 02-001 treated, partial birth date with collected age, died.
"""

from __future__ import annotations

import math

import pandas as pd

from trialinterop.ct import load_terminology
from trialinterop.definition import bundled_definition
from trialinterop.definition.model import StudyDefinition
from trialinterop.sdtm.context import SdtmContext, build_context
from trialinterop.source import models as m

# TS parameters CDISC rule CG0287 requires (CORE-000740, sdtm.md section 3)
CG0287 = [
    "ADDON",
    "AGEMAX",
    "AGEMIN",
    "LENGTH",
    "PLANSUB",
    "RANDOM",
    "SEXPOP",
    "STOPRULE",
    "TBLIND",
    "TCNTRL",
    "TITLE",
    "TPHASE",
    "TTYPE",
    "OBJPRIM",
    "SPONSOR",
    "REGID",
    "OUTMSPRI",
    "FCNTRY",
    "ADAPT",
    "DCUTDTC",
    "DCUTDESC",
    "NARMS",
    "STYPE",
    "SSTDTC",
    "SENDTC",
    "ACTSUB",
    "HLTSUBJI",
]


def definition() -> StudyDefinition:
    return bundled_definition("NCT05016804")


def subjects() -> tuple[m.Subject, ...]:
    return (
        m.Subject(
            "01-001", "01", "F", "ATG", "2022-03-01", "Y", birth_date="1980-03-11",
            race=("WHITE", "BLACK OR AFRICAN AMERICAN"), ethnicity="NOT HISPANIC OR LATINO",
        ),
        m.Subject("01-002", "01", "M", "ATG", "2022-02-01", "N", birth_date="1990-01-01", race=("WHITE",)),
        m.Subject("01-003", "01", "F", "ATG", "2022-02-15", "Y", birth_date="1985-06-30", race=("ASIAN",)),
        m.Subject(
            "02-001", "02", "M", "ARG", "2022-01-20", "Y", birth_date="1970-05", age=51, race=("WHITE",),
            ethnicity="HISPANIC OR LATINO", death_date="2022-09-01",
        ),
    )  # fmt: skip


def exposures() -> tuple[m.Exposure, ...]:
    return (
        m.Exposure(
            "01-001", "ALLORX", "2022-03-10T10:00", 100, "10^6 Therapeutic Cells", "INTRAVENOUS",
            end="2022-03-10T10:45", lot="ALX-1",
        ),
        m.Exposure(
            "01-001", "AUTOLOGOUS T-CELL VACCINE", "2022-04-20T09:00", 1, "mL", "SUBCUTANEOUS",
            dose_form="INJECTION, SUSPENSION", frequency="ONCE",
        ),
        m.Exposure("02-001", "ALLORX", "2022-02-01T11:00", 100, "10^6 Therapeutic Cells", "INTRAVENOUS"),
    )  # fmt: skip


def visits() -> tuple[m.Visit, ...]:
    return (
        m.Visit("01-001", 1, "Y", "2022-03-01"),
        m.Visit("01-001", 2, "Y", "2022-03-10"),
        m.Visit("01-001", 3, "N", reason_not_done="TRAVEL RESTRICTIONS"),
        m.Visit("01-001", 3.01, "Y", "2022-04-20", unplanned_description="T-cell vaccine"),
        m.Visit("01-001", 4, "Y", "2022-09-05"),
        m.Visit("01-002", 1, "Y", "2022-02-01"),
        m.Visit("01-003", 1, "Y", "2022-02-15"),
        m.Visit("02-001", 1, "Y", "2022-01-20"),
        m.Visit("02-001", 2, "Y", "2022-02-01"),
    )


def adverse_events() -> tuple[m.AdverseEvent, ...]:
    coded = {
        "llt": "Headache", "llt_code": 10019211, "pt": "Headache", "pt_code": 10019211, "hlt": "Headaches NEC",
        "hlt_code": 10019233, "hlgt": "Headaches", "hlgt_code": 10019231, "soc": "Nervous system disorders",
        "soc_code": 10029205,
    }  # fmt: skip
    return (
        m.AdverseEvent(
            "01-001", 1, "HEADACHE", "2022-03-10", "N", "MILD", "NOT RELATED", "NOT APPLICABLE",
            "RECOVERED/RESOLVED", end="2022-03-12", ctcae_grade=1, **coded,
        ),
        m.AdverseEvent(
            "01-001", 2, "ITCHY SKIN", "2022-03-05", "N", "MILD", "NOT RELATED", "NOT APPLICABLE",
            "RECOVERED/RESOLVED", end="2022-03-06",
        ),
        m.AdverseEvent(
            "02-001", 1, "PNEUMONIA", "2022-08-20", "Y", "SEVERE", "NOT RELATED", "NOT APPLICABLE", "FATAL",
            end="2022-09-01", pt="Pneumonia", pt_code=10035664, soc="Infections and infestations", soc_code=10021881,
            death="Y", hospitalization="Y", medically_important="N", serious_specify="Hospitalised, then died",
        ),
        m.AdverseEvent(
            "02-001", 2, "FATIGUE", "2022-02", "N", "MILD", "NOT RELATED", "NOT APPLICABLE", "RECOVERED/RESOLVED",
            pt="Fatigue", pt_code=10016256,
        ),
    )  # fmt: skip


MRSS_AREAS = tuple(f"MRSS01{n:02d}" for n in range(1, 18))


def _mrss(visit: float, dtc: str, scores: tuple, total: int | None = None, reason: str | None = None) -> list:
    rows = [
        m.Finding("01-001", "MRSS", testcd, visit, datetime=dtc, result=None if score is None else str(score),
                  status="NOT DONE" if score is None else None, reason_not_done=reason if score is None else None)
        for testcd, score in zip(MRSS_AREAS, scores, strict=True)
    ]  # fmt: skip
    if total is not None:
        rows.append(m.Finding("01-001", "MRSS", "MRSS0118", visit, datetime=dtc, result=str(total)))
    return rows


def _spirometry(visit: float, dtc: str, fvc: str, predicted: str, percent: str) -> list:
    return [
        m.Finding("01-001", "FVC", "FVC", visit, datetime=dtc, result=fvc, unit="L", position="SITTING",
                  reference_result=predicted),
        m.Finding("01-001", "FVC", "FVCPP", visit, datetime=dtc, result=percent, unit="%", position="SITTING"),
    ]  # fmt: skip


def findings() -> tuple[m.Finding, ...]:
    """mRSS at visits 1, 2 (total collected) and 4 (one area not done); spirometry at 1, 2 and not done at 4."""
    not_done = "SPIROMETER OUT OF SERVICE"
    return (
        *_mrss(1, "2022-03-01", (1,) * 17),
        *_mrss(2, "2022-03-10", (2,) * 17, total=34),
        *_mrss(4, "2022-09-05", (None,) + (0,) * 16, reason="PATIENT REFUSED"),
        *_spirometry(1, "2022-03-01T09:00", "2.5", "3", "83.3"),
        *_spirometry(2, "2022-03-10T14:00", "2.4", "3", "80"),
        m.Finding("01-001", "FVC", "FVC", 4, status="NOT DONE", reason_not_done=not_done),
        m.Finding("01-001", "FVC", "FVCPP", 4, status="NOT DONE", reason_not_done=not_done),
    )


def dispositions() -> tuple[m.Disposition, ...]:
    return (
        m.Disposition("01-001", "COMPLETED", "Completed 48-month follow-up", "2022-09-05", "2022-09-10"),
        m.Disposition("01-002", "SCREEN FAILURE", "Screen failure: active infection", "2022-02-03"),
        m.Disposition("02-001", "DEATH", "Death due to pneumonia", "2022-09-01"),
    )


def eligibility() -> tuple[m.EligibilityException, ...]:
    return (m.EligibilityException("01-002", "EXCL001", "Y", "2022-02-01"),)


def records(**overrides: object) -> m.TrialRecords:
    parts = {
        "definition": definition(),
        "subjects": subjects(),
        "exposures": exposures(),
        "adverse_events": adverse_events(),
        "findings": findings(),
        "visits": visits(),
        "dispositions": dispositions(),
        "eligibility": eligibility(),
    }
    parts.update(overrides)
    return m.TrialRecords(**parts)  # type: ignore[arg-type]


def context(trial: m.TrialRecords | None = None) -> SdtmContext:
    return build_context(trial or records(), load_terminology())


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Selected columns as plain tuples; every kind of missing value becomes None, whole floats stay floats."""

    def plain(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if hasattr(value, "item"):
            return value.item()
        return value

    return [tuple(plain(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)]


def test_factory_records_are_consistent() -> None:
    trial = records()
    ids = {s.subject_id for s in trial.subjects}
    assert ids == {"01-001", "01-002", "01-003", "02-001"}
    assert all(e.subject_id in ids for e in trial.exposures)
