"""DS: the INFORMED CONSENT OBTAINED protocol milestone for every subject (DSSTDTC = RFICDTC) and one
DISPOSITION EVENT (DSSCAT STUDY PARTICIPATION) per row of disposition.csv. DSCAT follows the codelist that holds
DSDECOD (PROTMLST -> PROTOCOL MILESTONE, NCOMPLT -> DISPOSITION EVENT).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import empty_frame, select, with_identifiers
from trialinterop.source.models import TrialRecords

DS_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSCAT", "EPOCH", "DSSTDTC", "DSSTDY",
)  # fmt: skip
CONSENT = "INFORMED CONSENT OBTAINED"


def build_ds(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    terms = ctx.terminology
    consent = terms.term("PROTMLST", CONSENT).value
    rows: list[Mapping[str, str | None]] = [
        {"subject_id": s.subject_id, "DSTERM": consent, "DSDECOD": consent, "DSCAT": "PROTOCOL MILESTONE"}
        | {"DSSCAT": None, "DSSTDTC": s.consent_date}
        for s in records.subjects
    ]
    for d in records.dispositions:
        decod = terms.term("NCOMPLT", d.event).value
        rows.append(
            {"subject_id": d.subject_id, "DSTERM": d.term, "DSDECOD": decod, "DSCAT": "DISPOSITION EVENT"}
            | {"DSSCAT": "STUDY PARTICIPATION", "DSSTDTC": d.event_date}
        )
    if not rows:
        return empty_frame(DS_VARIABLES)
    frame = with_identifiers(pd.DataFrame(rows, dtype=object), ctx, "DS")
    frame = (
        frame.pipe(derive_epoch, dtc="DSSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="DSSTDTC", dy="DSSTDY", ctx=ctx)
        .pipe(derive_seq, seq="DSSEQ", order=["DSSTDTC", "DSDECOD"])
    )
    return select(frame, DS_VARIABLES)
