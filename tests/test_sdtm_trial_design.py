"""TS, TA, TE, TV, TI from the study definition (NCT05016804 and XANAD01); the design bridge; the mapping verbs."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from test_sdtm_factory import CG0287, context, definition, records, rows
from trialinterop.ct import load_terminology
from trialinterop.errors import SpecError
from trialinterop.sdtm.algorithms import assign_ct, assign_dtc, hardcode, hardcode_ct
from trialinterop.sdtm.domains.trial_design import build_ta, build_te, build_ti, build_tv
from trialinterop.sdtm.domains.ts import build_ts

FB1111 = ("INTMODEL", "INTTYPE", "PCLAS")


def _ts_value(ts: pd.DataFrame, parmcd: str) -> list[tuple]:
    return rows(ts[parmcd == ts.TSPARMCD], ["TSSEQ", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER"])


def test_ts_has_every_required_parameter() -> None:
    ts = build_ts(records(), context())
    assert set(CG0287) <= set(ts.TSPARMCD)
    assert all(not ts[p == ts.TSPARMCD].TSVAL.isna().any() for p in FB1111)


def test_ts_values_derived_from_the_records() -> None:
    ts = build_ts(records(), context())
    # earliest consent of enrolled subjects: 02-001 (2022-01-20); the screen failure 01-002 is excluded
    assert _ts_value(ts, "SSTDTC") == [(1, "2022-01-20", None, None, None, None)]
    assert _ts_value(ts, "ACTSUB") == [(1, "3", None, None, None, None)]
    assert _ts_value(ts, "DCUTDTC") == [(1, "2026-06-30", None, None, None, None)]
    assert _ts_value(ts, "SENDTC") == [(1, None, "UNK", None, None, None)]  # study RECRUITING


def test_ts_values_from_the_registry_and_the_yaml() -> None:
    ts = build_ts(records(), context())
    assert _ts_value(ts, "TPHASE") == [(1, None, "UNK", None, None, None)]  # phase not in the registry record
    assert _ts_value(ts, "AGEMAX") == [(1, None, "PINF", None, None, None)]
    assert _ts_value(ts, "AGEMIN") == [(1, "P18Y", None, None, None, None)]
    assert _ts_value(ts, "TBLIND") == [(1, "OPEN LABEL", None, "C49659", "CDISC CT", "2025-03-28")]
    assert _ts_value(ts, "RANDOM") == [(1, "N", None, "C49487", "CDISC CT", "2025-03-28")]
    assert _ts_value(ts, "FCNTRY") == [
        (1, "ATG", None, "ATG", "ISO 3166", None),
        (2, "ARG", None, "ARG", "ISO 3166", None),
    ]
    assert _ts_value(ts, "TTYPE") == [
        (1, "SAFETY", None, "C49667", "CDISC CT", "2025-03-28"),
        (2, "EFFICACY", None, "C49666", "CDISC CT", "2025-03-28"),
    ]
    assert rows(ts[ts.TSPARMCD.isin(["TRT", "DOSE", "DOSU"])], ["TSPARMCD", "TSSEQ", "TSGRPID", "TSVAL"]) == [
        ("TRT", 1, "ALLORX", "ALLORX"),
        ("TRT", 2, "TCV", "AUTOLOGOUS T-CELL VACCINE"),
        ("DOSE", 1, "ALLORX", "100"),
        ("DOSU", 1, "ALLORX", "10^6 Therapeutic Cells"),
    ]
    assert dict(zip(ts.TSPARMCD, ts.TSPARM, strict=True))["SSTDTC"] == "Study Start Date"
    assert dict(zip(ts.TSPARMCD, ts.TSPARM, strict=True))["HLTSUBJI"] == "Healthy Subject Indicator"


def test_ts_parameter_names_match_the_cdisc_codelist() -> None:
    terminology = load_terminology()
    ts = build_ts(records(), context())
    codes = terminology.codelist("TSPARMCD")
    names = terminology.codelist("TSPARM")
    for parmcd, parm in zip(ts.TSPARMCD, ts.TSPARM, strict=True):
        assert codes.find(parmcd).code == names.find(parm).code, parmcd


def test_ts_phase_from_the_registry_when_given() -> None:
    original = definition()
    trial = records(
        definition=dataclasses.replace(original, study=dataclasses.replace(original.study, phase="PHASE1_PHASE2"))
    )
    ts = build_ts(trial, context(trial))
    assert _ts_value(ts, "TPHASE") == [(1, "PHASE I/II TRIAL", None, "C15693", "CDISC CT", "2025-03-28")]


def test_ta_te_tv_ti() -> None:
    trial, ctx = records(), context()
    ta = build_ta(trial, ctx)
    assert rows(ta, ["ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "TATRANS", "EPOCH"]) == [
        ("ALLORX", "AlloRx UC-MSC 100 million cells IV", 1, "SCRN", "Screening", None, None, "SCREENING"),
        ("ALLORX", "AlloRx UC-MSC 100 million cells IV", 2, "MSC", "AlloRx 100x10^6 cells IV", None, None, "TREATMENT"),
        ("ALLORX", "AlloRx UC-MSC 100 million cells IV", 3, "FU", "Follow-up", None, None, "FOLLOW-UP"),
    ]
    te = build_te(trial, ctx)
    assert rows(te, ["ETCD", "TESTRL", "TEENRL", "TEDUR"]) == [
        ("SCRN", "Informed consent signed", "Start of the MSC infusion", None),
        ("MSC", "Start of the MSC infusion", "End of the day of the MSC infusion", "P1D"),
        ("FU", "Day after the MSC infusion", "Month 48 visit or discontinuation", "P48M"),
    ]
    tv = build_tv(trial, ctx)
    assert rows(tv, ["VISITNUM", "VISIT", "VISITDY", "ARMCD"]) == [
        (1.0, "SCREENING", None, None), (2.0, "DAY 1", 1, None), (3.0, "MONTH 1", 31, None),
        (4.0, "MONTH 6", 181, None), (5.0, "MONTH 12", 366, None), (6.0, "MONTH 24", 731, None),
        (7.0, "MONTH 36", 1096, None), (8.0, "MONTH 48", 1461, None),
    ]  # fmt: skip
    assert rows(tv.head(1), ["TVSTRL"]) == [("Within 1 month before the MSC infusion",)]
    ti = build_ti(trial, ctx)
    assert len(ti) == 12
    assert rows(ti.iloc[[0, 11]], ["IETESTCD", "IETEST", "IECAT"]) == [
        ("INCL001", "Diagnosis of Systemic Sclerosis", "INCLUSION"),
        ("EXCL010", "Hypersensitivity to sulfur", "EXCLUSION"),
    ]


def test_verbs_hardcode_where_and_ct_mapping() -> None:
    terminology = load_terminology()
    frame = pd.DataFrame({"sev": ["Mild", "MODERATE", None], "flag": [True, False, True]})
    out = hardcode(frame, "XXFL", "Y", where=frame["flag"])
    out = assign_ct(out, "AESEV", "sev", codelist="AESEV", terminology=terminology)
    assert rows(out, ["XXFL", "AESEV"]) == [("Y", "MILD"), (None, "MODERATE"), ("Y", None)]
    assert list(frame.columns) == ["sev", "flag"]  # input untouched
    with pytest.raises(SpecError, match="not a term of codelist AESEV"):
        hardcode_ct(frame, "AESEV", "FATAL", codelist="AESEV", terminology=terminology)
    with pytest.raises(SpecError, match="'2022-13-01' is not an ISO 8601"):
        assign_dtc(pd.DataFrame({"d": ["2022-13-01"]}), "XXDTC", "d")
