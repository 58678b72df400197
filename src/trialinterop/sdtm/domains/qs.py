"""QS: modified Rodnan skin score, 18 records per assessment (MRSS0101-MRSS0117 areas in MRSS_AREAS order, MRSS0118
total). QSTEST is the decode of the sponsor codelist MRSS01TC (mappings/codelists.csv).

A missing area score is QSSTAT NOT DONE with the record's reason in QSREASND. The total is the collected total;
when none was collected but all 17 areas were scored it is their sum with QSDRVFL = Y; otherwise it is NOT DONE.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import hardcode
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_lobxfl, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import empty_frame, expand_items, select, with_identifiers
from trialinterop.source.models import MRSS_AREAS, SkinScore, TrialRecords

QSCAT = "MRSS"
TEST_CODES: tuple[str, ...] = tuple(f"MRSS01{n:02d}" for n in range(1, len(MRSS_AREAS) + 2))
TOTAL_CODE = TEST_CODES[-1]
QS_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "QSSEQ", "QSTESTCD", "QSTEST", "QSCAT", "QSORRES", "QSSTRESC", "QSSTRESN",
    "QSSTAT", "QSREASND", "QSLOBXFL", "QSBLFL", "QSDRVFL", "VISITNUM", "VISIT", "EPOCH", "QSDTC", "QSDY",
)  # fmt: skip


def _assessment_frame(scores: tuple[SkinScore, ...]) -> pd.DataFrame:
    """One row per assessment: what all 18 result rows of an assessment share."""
    return pd.DataFrame(
        {
            "subject_id": pd.Series([s.subject_id for s in scores], dtype=object),
            "VISITNUM": pd.Series([float(s.visit_num) for s in scores], dtype="float64"),
            "QSDTC": pd.Series([s.assessment_date for s in scores], dtype=object),
        }
    )


def _item_columns(scores: tuple[SkinScore, ...]) -> dict[str, list]:
    """The 18 results of every assessment (17 areas, then the total), assessment by assessment."""
    columns: dict[str, list] = {name: [] for name in _ITEM_COLUMNS}
    codes, orres, stresc, stresn, stat, reasnd, drvfl = columns.values()
    areas = len(MRSS_AREAS)
    area_flags = [None] * areas
    for score in scores:
        total, derived_flag = score.total, None
        if total is None and score.derived_total is not None:
            total, derived_flag = score.derived_total, "Y"
        values = (*score.scores, total)
        if len(values) != len(TEST_CODES):
            raise ValueError(f"{score.subject_id}: {len(score.scores)} mRSS area scores, expected {areas}")
        texts = [str(value) if value is not None else None for value in values]
        codes.extend(TEST_CODES)
        orres.extend(texts)
        stresc.extend(texts)
        stresn.extend([float(value) if value is not None else None for value in values])
        stat.extend([None if value is not None else "NOT DONE" for value in values])
        reasnd.extend([None if value is not None else score.not_done_reason for value in values])
        drvfl.extend(area_flags)
        drvfl.append(derived_flag)
    return columns


_ITEM_COLUMNS = ("QSTESTCD", "QSORRES", "QSSTRESC", "QSSTRESN", "QSSTAT", "QSREASND", "QSDRVFL")


def build_qs(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """Identifiers, VISIT, EPOCH and QSDY are derived once per assessment, then the assessment is expanded into its
    18 result rows; QSLOBXFL and QSSEQ are derived per result."""
    if not records.skin_scores:
        return empty_frame(QS_VARIABLES)
    assessments = (
        with_identifiers(_assessment_frame(records.skin_scores), ctx, "QS")
        .pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc="QSDTC", ctx=ctx, by_visit=True)
        .pipe(derive_study_day, dtc="QSDTC", dy="QSDY", ctx=ctx)
    )
    frame = expand_items(assessments, _item_columns(records.skin_scores), per_row=len(TEST_CODES))
    tests = ctx.terminology.codelist("MRSS01TC")
    decodes = {code: tests.find(code).decode for code in TEST_CODES}
    frame["QSTEST"] = pd.Series([decodes[code] for code in frame["QSTESTCD"]], dtype=object)
    frame = hardcode(frame, "QSCAT", QSCAT)
    frame = frame.pipe(derive_lobxfl, flag="QSLOBXFL", test="QSTESTCD", result="QSORRES", dtc="QSDTC", ctx=ctx).pipe(
        derive_seq, seq="QSSEQ", order=["QSCAT", "QSTESTCD", "VISITNUM"]
    )
    frame["QSSTRESN"] = pd.array(frame["QSSTRESN"].tolist(), dtype="Float64")
    frame["VISITNUM"] = pd.array(frame["VISITNUM"].tolist(), dtype="Float64")
    return select(frame, QS_VARIABLES)
