"""Small literal SDTM frames shaped like the builders' output, shared by the spec/conform/writer tests.

Other test modules import `sample_frames()` from here (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import pandas as pd

STUDY = "NCT05016804"
S1, S2 = f"{STUDY}-01-001", f"{STUDY}-02-001"
N = None


def sample_frames() -> dict[str, pd.DataFrame]:
    dm = pd.DataFrame(
        {
            "STUDYID": [STUDY, STUDY],
            "DOMAIN": ["DM", "DM"],
            "USUBJID": [S2, S1],
            "SUBJID": ["02-001", "01-001"],
            "RFSTDTC": [N, "2022-03-01T09:30"],
            "RFENDTC": [N, "2026-03-01"],
            "RFXSTDTC": [N, "2022-03-01T09:30"],
            "RFXENDTC": [N, "2022-03-01T10:15"],
            "RFICDTC": ["2022-04-02", "2022-02-10"],
            "RFPENDTC": ["2022-04-20", "2026-03-01"],
            "DTHDTC": [N, N],
            "DTHFL": [N, N],
            "SITEID": ["02", "01"],
            "BRTHDTC": [N, N],
            "AGE": [61, 45],
            "AGEU": ["YEARS", "YEARS"],
            "SEX": ["M", "F"],
            "RACE": ["WHITE", "MULTIPLE"],
            "ETHNIC": ["HISPANIC OR LATINO", "NOT REPORTED"],
            "ARMCD": [N, "ALLORX"],
            "ARM": [N, "AlloRx UC-MSC 100 million cells IV"],
            "ACTARMCD": [N, "ALLORX"],
            "ACTARM": [N, "AlloRx UC-MSC 100 million cells IV"],
            "ARMNRS": ["SCREEN FAILURE", N],
            "ACTARMUD": [N, N],
            "COUNTRY": ["ARG", "ATG"],
        }
    )
    ae = pd.DataFrame(
        {
            "STUDYID": [STUDY, STUDY],
            "DOMAIN": ["AE", "AE"],
            "USUBJID": [S1, S1],
            "AESEQ": [1, 2],
            "AESPID": ["1", "2"],
            "AETERM": ["Headache", "Fever after infusion"],
            "AELLT": ["Headache", "Fever"],
            "AELLTCD": [10019211, 10016558],
            "AEDECOD": ["Headache", "Pyrexia"],
            "AEPTCD": [10019211, 10037660],
            "AEHLT": ["Headaches NEC", "Febrile disorders"],
            "AEHLTCD": [10019233, 10016286],
            "AEHLGT": ["Headaches", "Body temperature conditions"],
            "AEHLGTCD": [10019231, 10005908],
            "AEBODSYS": ["Nervous system disorders", "General disorders and administration site conditions"],
            "AEBDSYCD": [10029205, 10018065],
            "AESOC": ["Nervous system disorders", "General disorders and administration site conditions"],
            "AESOCCD": [10029205, 10018065],
            "AESEV": ["MILD", "MODERATE"],
            "AESER": ["N", "N"],
            "AEACN": ["NOT APPLICABLE", "NOT APPLICABLE"],
            "AEREL": ["NOT RELATED", "POSSIBLY RELATED"],
            "AEOUT": ["RECOVERED/RESOLVED", "RECOVERED/RESOLVED"],
            "EPOCH": ["FOLLOW-UP", "TREATMENT"],
            "AESTDTC": ["2022-05-01", "2022-03-01T12:00"],
            "AEENDTC": ["2022-05-02", "2022-03-02"],
            "AESTDY": [62, 1],
            "AEENDY": [63, 2],
        }
    )
    qs_codes = [f"MRSS01{i:02d}" for i in (1, 2, 18)]
    qs = pd.DataFrame(
        {
            "STUDYID": [STUDY] * 3,
            "DOMAIN": ["QS"] * 3,
            "USUBJID": [S1] * 3,
            "QSSEQ": [1, 2, 3],
            "QSTESTCD": qs_codes,
            "QSTEST": ["MRSS01-Fingers Right", "MRSS01-Fingers Left", "MRSS01-Total Skin Score"],
            "QSCAT": ["MRSS"] * 3,
            "QSORRES": ["2", "3", "24"],
            "QSSTRESC": ["2", "3", "24"],
            "QSSTRESN": [2, 3, 24],
            "QSLOBXFL": ["Y", "Y", "Y"],
            "QSDRVFL": [N, N, N],
            "VISITNUM": [1.0, 1.0, 1.0],
            "VISIT": ["SCREENING"] * 3,
            "QSDTC": ["2022-02-20"] * 3,
            "QSDY": [-9, -9, -9],
        }
    )
    re = pd.DataFrame(
        {
            "STUDYID": [STUDY] * 2,
            "DOMAIN": ["RE"] * 2,
            "USUBJID": [S1] * 2,
            "RESEQ": [1, 2],
            "RETESTCD": ["FVC", "FVCPP"],
            "RETEST": ["Forced Vital Capacity", "Percent Predicted Forced Vital Capacity"],
            "REORRES": ["2.85", "78"],
            "REORRESU": ["L", "%"],
            "REORREF": ["3.65", N],
            "RESTRESC": ["2.85", "78"],
            "RESTRESN": [2.85, 78.0],
            "RESTRESU": ["L", "%"],
            "RESTREFN": [3.65, N],
            "REMETHOD": ["SPIROMETRY", "SPIROMETRY"],
            "RELOBXFL": ["Y", "Y"],
            "VISITNUM": [1.0, 1.0],
            "REDTC": ["2022-02-20", "2022-02-20"],
        }
    )
    ts = pd.DataFrame(
        {
            "STUDYID": [STUDY] * 3,
            "DOMAIN": ["TS"] * 3,
            "TSSEQ": [1, 1, 1],
            "TSPARMCD": ["TITLE", "SSTDTC", "STYPE"],
            "TSPARM": ["Trial Title", "Study Start Date", "Study Type"],
            "TSVAL": [
                "Safety of Cultured Allogeneic Adult Umbilical Cord Derived Mesenchymal Stem Cell Intravenous "
                "Infusion for the Treatment of Systemic Sclerosis",
                "2022-02-10",
                "INTERVENTIONAL",
            ],
            "TSVALCD": [N, N, "C98388"],
            "TSVCDREF": [N, "ISO 8601", "CDISC CT"],
            "TSVCDVER": [N, N, "2025-03-28"],
        }
    )
    suppae = pd.DataFrame(
        {
            "STUDYID": [STUDY, STUDY],
            "RDOMAIN": ["AE", "AE"],
            "USUBJID": [S1, S1],
            "IDVAR": ["AESEQ", "AESEQ"],
            "IDVARVAL": ["1", "2"],
            "QNAM": ["AETRTEM", "AETRTEM"],
            "QLABEL": ["Treatment Emergent Flag", "Treatment Emergent Flag"],
            "QVAL": ["Y", "Y"],
            "QORIG": ["Derived", "Derived"],
            "QEVAL": ["SPONSOR", "SPONSOR"],
        }
    )
    suppdm = pd.DataFrame(
        {
            "STUDYID": [STUDY, STUDY],
            "RDOMAIN": ["DM", "DM"],
            "USUBJID": [S1, S1],
            "IDVAR": [N, N],
            "IDVARVAL": [N, N],
            "QNAM": ["RACE1", "RACE2"],
            "QLABEL": ["Race 1", "Race 2"],
            "QVAL": ["WHITE", "BLACK OR AFRICAN AMERICAN"],
            "QORIG": ["Collected", "Collected"],
            "QEVAL": [N, N],
        }
    )
    return {"DM": dm, "AE": ae, "QS": qs, "RE": re, "TS": ts, "SUPPAE": suppae, "SUPPDM": suppdm}


def test_sample_frames_have_seven_datasets() -> None:
    assert sorted(sample_frames()) == ["AE", "DM", "QS", "RE", "SUPPAE", "SUPPDM", "TS"]
