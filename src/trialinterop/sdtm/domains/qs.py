"""QS: modified Rodnan skin score, 18 records per assessment (MRSS0101-MRSS0117 areas in MRSS_AREAS order, MRSS0118
total). QSTEST is the decode of the sponsor codelist MRSS01TC (mappings/codelists.csv).

A missing area score is QSSTAT NOT DONE with the record's reason in QSREASND. The total is the collected total;
when none was collected but all 17 areas were scored it is their sum with QSDRVFL = Y; otherwise it is NOT DONE.
"""

from __future__ import annotations

from typing import Any

import numpy as np
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


def _item_columns(scores: tuple[SkinScore, ...], decodes: dict[str, str]) -> dict[str, Any]:
    """The 18 results of every assessment (17 areas, then the total), assessment by assessment, built as whole
    (assessments x 18) arrays of codes (Categoricals: 840,000 rows hold a few dozen texts); a missing value is
    NOT DONE with the assessment's reason."""
    areas = len(MRSS_AREAS)
    for score in scores:
        if len(score.scores) != areas:
            raise ValueError(f"{score.subject_id}: {len(score.scores)} mRSS area scores, expected {areas}")
    derived = [s.derived_total if s.total is None else None for s in scores]
    totals = [s.total if s.total is not None else d for s, d in zip(scores, derived, strict=True)]
    grid = np.array([(*s.scores, t) for s, t in zip(scores, totals, strict=True)], dtype=object)
    done = grid != None  # noqa: E711 (element-wise comparison with None)
    numbers = np.where(done, grid, np.nan).astype(np.float64)
    results, result_codes = np.unique(numbers[done].astype(np.int64), return_inverse=True)
    text_codes = np.full(grid.shape, -1, dtype=np.int64)
    text_codes[done] = result_codes
    texts = [str(v) for v in results.tolist()]
    reason_codes, reasons = pd.factorize(np.array([s.not_done_reason for s in scores], dtype=object))
    drvfl = np.full(grid.shape, -1, dtype=np.int64)
    drvfl[:, -1] = [0 if d is not None else -1 for d in derived]
    count = len(scores)
    return {
        "QSTESTCD": _tiled(list(TEST_CODES), count),
        "QSTEST": _tiled([decodes[c] for c in TEST_CODES], count),
        "QSORRES": _coded(text_codes, texts),
        "QSSTRESC": _coded(text_codes, texts),
        "QSSTRESN": pd.arrays.FloatingArray(numbers.ravel(), ~done.ravel()),
        "QSSTAT": _coded(np.where(done, -1, 0), ["NOT DONE"]),
        "QSREASND": _coded(np.where(done, -1, reason_codes[:, None]), list(reasons)),
        "QSDRVFL": _coded(drvfl, ["Y"]),
    }


def _coded(codes: np.ndarray, values: list[str]) -> pd.Categorical:
    dtype = pd.CategoricalDtype(pd.Index(values, dtype=object))
    return pd.Categorical.from_codes(codes.ravel(), dtype=dtype)


def _tiled(values: list[str], count: int) -> pd.Categorical:
    """`values` repeated `count` times."""
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return _coded(np.tile(codes, count), list(uniques))


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
    decodes = {code: ctx.terminology.term("MRSS01TC", code).decode for code in TEST_CODES}
    frame = expand_items(assessments, _item_columns(records.skin_scores, decodes), per_row=len(TEST_CODES))
    frame = hardcode(frame, "QSCAT", QSCAT)
    frame = frame.pipe(derive_lobxfl, flag="QSLOBXFL", test="QSTESTCD", result="QSORRES", dtc="QSDTC", ctx=ctx).pipe(
        derive_seq, seq="QSSEQ", order=["QSCAT", "QSTESTCD", "VISITNUM"]
    )
    frame["VISITNUM"] = frame["VISITNUM"].astype("Float64")
    return select(frame, QS_VARIABLES)
