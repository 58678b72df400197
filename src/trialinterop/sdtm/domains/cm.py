"""CM (one record per medication per subject) from `records.medications`.

CMTRT is the medication as collected and CMSPID the sponsor's medication number; CMDECOD (e.g. WHODrug preferred
name) and CMCLAS (e.g. ATC text) are copied as coded, never looked up. CMDOSU, CMDOSFRQ and CMROUTE go through their
specified codelists (a collected decode becomes its submission value; a value found nowhere stays as
collected and conform reports it). The "ongoing at the end of participation" answer is relative timing after SDTMIG
3.4 §4.4.7: Y -> CMENRTPT ONGOING, N -> CMENRTPT BEFORE, each with CMENTPT "END OF STUDY" (the reference time point
as the SDTMIG 3.4 examples word it); no answer leaves both null. Dates stay as collected (partial allowed, never
imputed), so CMSTDY/CMENDY and EPOCH are null for partial dates (see `sdtm.derive`). VISITNUM/VISIT and
CMDTC/CMDY, the visit and date the medication was recorded at, are submitted when the records hold them.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, hardcode, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import (
    assign_coded,
    empty_frame,
    filled_variables,
    hardcode_coded,
    select,
    sponsor_ids,
    with_collection_timing,
    with_identifiers,
)
from trialinterop.source.models import TrialRecords

END_OF_STUDY = "END OF STUDY"


def build_cm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.medications:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("CM")))
    frame = with_identifiers(records_frame(records.medications), ctx, "CM")
    ongoing, ended = frame["ongoing"] == "Y", frame["ongoing"] == "N"
    frame = (
        frame.pipe(assign, "CMTRT", "term")
        .pipe(assign, "CMDECOD", "decoded")
        .pipe(assign, "CMINDC", "indication")
        .pipe(assign, "CMCLAS", "atc_class")
        .pipe(assign_coded, "CMDOSU", "dose_unit", ctx=ctx, domain="CM")
        .pipe(assign_coded, "CMDOSFRQ", "frequency", ctx=ctx, domain="CM")
        .pipe(assign_coded, "CMROUTE", "route", ctx=ctx, domain="CM")
        .pipe(assign_dtc, "CMSTDTC", "start")
        .pipe(assign_dtc, "CMENDTC", "end")
        .pipe(hardcode_coded, "CMENRTPT", "ONGOING", ctx=ctx, domain="CM", where=ongoing)
        .pipe(hardcode_coded, "CMENRTPT", "BEFORE", ctx=ctx, domain="CM", where=ended)
        .pipe(hardcode, "CMENTPT", END_OF_STUDY, where=ongoing | ended)
    )
    frame["CMSPID"] = sponsor_ids(frame, "cm_id", ctx, "CM")
    frame["CMDOSE"] = pd.to_numeric(frame["dose"]).astype("Float64")
    frame = (
        frame.pipe(derive_epoch, dtc="CMSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="CMSTDTC", dy="CMSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="CMENDTC", dy="CMENDY", ctx=ctx)
        .pipe(derive_seq, seq="CMSEQ", order=["CMTRT", "CMSTDTC", "cm_id"])
        .pipe(with_collection_timing, ctx, "CM", visit=True, dtc=True)
    )
    return select(frame, filled_variables(frame, ctx.variable_names("CM")))
