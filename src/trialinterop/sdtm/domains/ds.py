"""DS: the INFORMED CONSENT OBTAINED protocol milestone for every subject (DSSTDTC = RFICDTC) and one
DISPOSITION EVENT (DSSCAT STUDY PARTICIPATION) per row of disposition.csv. DSDECOD's codelist for each DSCAT is
the specification's value-level entry (PROTMLST for PROTOCOL MILESTONE, NCOMPLT for DISPOSITION EVENT).
VISITNUM/VISIT and DSDTC/DSDY (where and when the event was recorded) are submitted when the records hold them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import (
    empty_frame,
    filled_variables,
    select,
    with_collection_timing,
    with_identifiers,
)
from trialinterop.source.models import TrialRecords

CONSENT = "INFORMED CONSENT OBTAINED"
MILESTONE, EVENT = "PROTOCOL MILESTONE", "DISPOSITION EVENT"


def build_ds(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    terms = ctx.terminology
    consent = terms.term(ctx.value_codelist("DS", "DSDECOD", MILESTONE), CONSENT).value
    events = ctx.value_codelist("DS", "DSDECOD", EVENT)
    rows: list[Mapping[str, str | float | None]] = [
        {"subject_id": s.subject_id, "DSTERM": consent, "DSDECOD": consent, "DSCAT": MILESTONE}
        | {"DSSCAT": None, "DSSTDTC": s.consent_date, "visit_num": None, "collection_date": None, "DSSPID": None}
        for s in records.subjects
    ]
    for d in records.dispositions:
        decod = terms.term(events, d.event).value
        rows.append(
            {"subject_id": d.subject_id, "DSTERM": d.term, "DSDECOD": decod, "DSCAT": EVENT}
            | {"DSSCAT": "STUDY PARTICIPATION", "DSSTDTC": d.event_date, "collection_date": d.collection_date}
            | {"DSSPID": d.sponsor_id}
            | {"visit_num": d.visit_num}
        )
    if not rows:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("DS")))
    frame = with_identifiers(pd.DataFrame(rows, dtype=object), ctx, "DS")
    frame = (
        frame.pipe(derive_epoch, dtc="DSSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="DSSTDTC", dy="DSSTDY", ctx=ctx)
        .pipe(derive_seq, seq="DSSEQ", order=["DSSTDTC", "DSDECOD"])
        .pipe(with_collection_timing, ctx, "DS", visit=True, dtc=True)
    )
    return select(frame, filled_variables(frame, ctx.variable_names("DS")))
