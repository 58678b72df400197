"""RE (respiratory findings; module not named `re` to keep the standard library name free): per spirometry test
an FVC record in L (predicted FVC in REORREF/RESTREFN, SDTMIG RE example 1) and an FVCPP record in %.

A test that was not done, or a result left empty, is RESTAT NOT DONE with the reason in REREASND.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_lobxfl, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import empty_frame, number_text, select, with_identifiers
from trialinterop.source.models import Spirometry, TrialRecords

RE_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "RESEQ", "RETESTCD", "RETEST", "REPOS", "REORRES", "REORRESU", "REORREF",
    "RESTRESC", "RESTRESN", "RESTRESU", "RESTREFN", "RESTAT", "REREASND", "REMETHOD", "RELOBXFL", "REBLFL",
    "VISITNUM", "VISIT", "EPOCH", "REDTC", "REDY",
)  # fmt: skip
_TESTS = (
    ("FVC", "Forced Vital Capacity", "L", "fvc_l"),
    ("FVCPP", "Percent Predicted Forced Vital Capacity", "%", "fvc_percent_predicted"),
)


def _result_rows(test: Spirometry) -> list[dict]:
    rows = []
    for code, name, unit, attribute in _TESTS:
        value = getattr(test, attribute)
        text = number_text(value)
        reference = number_text(test.fvc_predicted_l) if code == "FVC" else None
        rows.append(
            {
                "subject_id": test.subject_id,
                "RETESTCD": code,
                "RETEST": name,
                "REPOS": test.position,
                "REORRES": text,
                "REORRESU": unit if text is not None else None,
                "REORREF": reference,
                "RESTRESC": text,
                "RESTRESN": float(value) if text is not None else None,
                "RESTRESU": unit if text is not None else None,
                "RESTREFN": float(test.fvc_predicted_l) if reference is not None else None,
                "RESTAT": None if text is not None else "NOT DONE",
                "REREASND": None if text is not None else test.not_done_reason,
                "REMETHOD": "SPIROMETRY",
                "VISITNUM": float(test.visit_num),
                "REDTC": test.test_datetime,
            }
        )
    return rows


def build_re(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.spirometry:
        return empty_frame(RE_VARIABLES)
    rows = [row for test in records.spirometry for row in _result_rows(test)]
    frame = with_identifiers(pd.DataFrame(rows, dtype=object), ctx, "RE")
    frame = (
        frame.pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc="REDTC", ctx=ctx, by_visit=True)
        .pipe(derive_study_day, dtc="REDTC", dy="REDY", ctx=ctx)
        .pipe(derive_lobxfl, flag="RELOBXFL", test="RETESTCD", result="REORRES", dtc="REDTC", ctx=ctx)
        .pipe(derive_seq, seq="RESEQ", order=["RETESTCD", "VISITNUM"])
    )
    for column in ("RESTRESN", "RESTREFN", "VISITNUM"):
        frame[column] = pd.array(frame[column].tolist(), dtype="Float64")
    return select(frame, RE_VARIABLES)
