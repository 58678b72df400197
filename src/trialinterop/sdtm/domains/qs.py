"""QS: modified Rodnan skin score, 18 records per assessment (MRSS0101-MRSS0117 areas in MRSS_AREAS order, MRSS0118
total). QSTEST is the decode of the sponsor codelist MRSS01TC (mappings/codelists.csv).

A missing area score is QSSTAT NOT DONE with the record's reason in QSREASND. The total is the collected total;
when none was collected but all 17 areas were scored it is their sum with QSDRVFL = Y; otherwise it is NOT DONE.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_lobxfl, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import empty_frame, select, with_identifiers
from trialinterop.source.models import MRSS_AREAS, SkinScore, TrialRecords

QSCAT = "MRSS"
TEST_CODES: tuple[str, ...] = tuple(f"MRSS01{n:02d}" for n in range(1, len(MRSS_AREAS) + 2))
TOTAL_CODE = TEST_CODES[-1]
QS_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "QSSEQ", "QSTESTCD", "QSTEST", "QSCAT", "QSORRES", "QSSTRESC", "QSSTRESN",
    "QSSTAT", "QSREASND", "QSLOBXFL", "QSBLFL", "QSDRVFL", "VISITNUM", "VISIT", "EPOCH", "QSDTC", "QSDY",
)  # fmt: skip


def _item_rows(score: SkinScore) -> list[dict]:
    """The 18 result rows of one assessment, before identifiers and derivations."""
    rows = []
    total, derived_flag = score.total, None
    if total is None and score.derived_total is not None:
        total, derived_flag = score.derived_total, "Y"
    for code, value in zip(TEST_CODES, (*score.scores, total), strict=True):
        done = value is not None
        rows.append(
            {
                "subject_id": score.subject_id,
                "QSTESTCD": code,
                "QSORRES": str(value) if done else None,
                "QSSTRESC": str(value) if done else None,
                "QSSTRESN": float(value) if done else None,
                "QSSTAT": None if done else "NOT DONE",
                "QSREASND": None if done else score.not_done_reason,
                "QSDRVFL": derived_flag if code == TOTAL_CODE else None,
                "VISITNUM": float(score.visit_num),
                "QSDTC": score.assessment_date,
            }
        )
    return rows


def build_qs(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.skin_scores:
        return empty_frame(QS_VARIABLES)
    rows = [row for score in records.skin_scores for row in _item_rows(score)]
    frame = with_identifiers(pd.DataFrame(rows, dtype=object), ctx, "QS")
    tests = ctx.terminology.codelist("MRSS01TC")
    frame["QSTEST"] = [tests.find(code).decode for code in frame["QSTESTCD"]]
    frame["QSCAT"] = QSCAT
    frame = (
        frame.pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc="QSDTC", ctx=ctx, by_visit=True)
        .pipe(derive_study_day, dtc="QSDTC", dy="QSDY", ctx=ctx)
        .pipe(derive_lobxfl, flag="QSLOBXFL", test="QSTESTCD", result="QSORRES", dtc="QSDTC", ctx=ctx)
        .pipe(derive_seq, seq="QSSEQ", order=["QSCAT", "QSTESTCD", "VISITNUM"])
    )
    frame["QSSTRESN"] = pd.array(frame["QSSTRESN"].tolist(), dtype="Float64")
    frame["VISITNUM"] = pd.array(frame["VISITNUM"].tolist(), dtype="Float64")
    return select(frame, QS_VARIABLES)
