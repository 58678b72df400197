"""CM (one record per medication per subject) from `records.medications`.

CMTRT is the medication as collected and CMSPID the sponsor's medication number; CMDECOD (e.g. WHODrug preferred
name) and CMCLAS (e.g. ATC text) are copied as coded, never looked up. CMDOSU, CMDOSFRQ and CMROUTE go through the
UNIT, FREQ and ROUTE codelists (a collected decode becomes its submission value; a value found nowhere stays as
collected and conform reports it). The "ongoing at the end of participation" answer is relative timing after SDTMIG
3.4 §4.4.7: Y -> CMENRTPT ONGOING, N -> CMENRTPT BEFORE, each with CMENTPT "END OF STUDY" (the reference time point
as the SDTMIG 3.4 examples word it); no answer leaves both null. Dates stay as collected (partial allowed, never
imputed), so CMSTDY/CMENDY and EPOCH are null for partial dates (see `sdtm.derive`).
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_ct, assign_dtc, hardcode, hardcode_ct, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import empty_frame, select, with_identifiers
from trialinterop.source.models import TrialRecords

END_OF_STUDY = "END OF STUDY"
CM_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "CMSEQ", "CMSPID", "CMTRT", "CMDECOD", "CMINDC", "CMCLAS", "CMDOSE", "CMDOSU",
    "CMDOSFRQ", "CMROUTE", "EPOCH", "CMSTDTC", "CMENDTC", "CMSTDY", "CMENDY", "CMENRTPT", "CMENTPT",
)  # fmt: skip


def build_cm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.medications:
        return empty_frame(CM_VARIABLES)
    terms = ctx.terminology
    frame = with_identifiers(records_frame(records.medications), ctx, "CM")
    ongoing, ended = frame["ongoing"] == "Y", frame["ongoing"] == "N"
    frame = (
        frame.pipe(assign, "CMTRT", "term")
        .pipe(assign, "CMDECOD", "decoded")
        .pipe(assign, "CMINDC", "indication")
        .pipe(assign, "CMCLAS", "atc_class")
        .pipe(assign_ct, "CMDOSU", "dose_unit", codelist="UNIT", terminology=terms)
        .pipe(assign_ct, "CMDOSFRQ", "frequency", codelist="FREQ", terminology=terms)
        .pipe(assign_ct, "CMROUTE", "route", codelist="ROUTE", terminology=terms)
        .pipe(assign_dtc, "CMSTDTC", "start")
        .pipe(assign_dtc, "CMENDTC", "end")
        .pipe(hardcode_ct, "CMENRTPT", "ONGOING", codelist="STENRF", terminology=terms, where=ongoing)
        .pipe(hardcode_ct, "CMENRTPT", "BEFORE", codelist="STENRF", terminology=terms, where=ended)
        .pipe(hardcode, "CMENTPT", END_OF_STUDY, where=ongoing | ended)
    )
    frame["CMSPID"] = frame["cm_id"].map(str).astype(object)
    frame["CMDOSE"] = pd.to_numeric(frame["dose"]).astype("Float64")
    frame = (
        frame.pipe(derive_epoch, dtc="CMSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="CMSTDTC", dy="CMSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="CMENDTC", dy="CMENDY", ctx=ctx)
        .pipe(derive_seq, seq="CMSEQ", order=["CMTRT", "CMSTDTC", "cm_id"])
    )
    return select(frame, CM_VARIABLES)
