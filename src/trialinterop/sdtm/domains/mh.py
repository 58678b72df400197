"""MH (one record per medical history event per subject) from `records.medical_history`.

MHTERM is the condition as collected and MHSPID the sponsor's condition number; MHDECOD and MHBODSYS are the MedDRA
preferred term and system organ class as coded (null when not coded), MHSOC the same primary SOC (MHBODSYS is the
SOC of analysis, here the primary one: CDISC CG0039), MHCAT the collected category. The "ongoing at
the start of the study" answer is relative timing after SDTMIG 3.4 MH example 1 and §4.4.7: Y -> MHENRTPT ONGOING,
N -> MHENRTPT BEFORE, with MHENTPT the date the subject entered the study (DM.RFICDTC, informed consent: when the
history is taken); no answer leaves both null. Dates stay as collected (partial allowed, never imputed). EPOCH is
the element holding MHSTDTC, so it is null for history that began before the study. MHSTDY/MHENDY (SDTM model
timing variables, FDA FB3201/FB3202) are the study days of complete dates relative to RFSTDTC. VISITNUM/VISIT and
MHDTC/MHDY (the visit and date the history was taken) are submitted when the records hold them.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.distinct import map_distinct
from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
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


def build_mh(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.medical_history:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("MH")))
    frame = with_identifiers(records_frame(records.medical_history), ctx, "MH")
    ongoing, ended = frame["ongoing"] == "Y", frame["ongoing"] == "N"
    frame = (
        frame.pipe(assign, "MHTERM", "term")
        .pipe(assign, "MHDECOD", "decoded")
        .pipe(assign, "MHCAT", "category")
        .pipe(assign, "MHBODSYS", "body_system")
        .pipe(assign, "MHSOC", "body_system")
        .pipe(assign_dtc, "MHSTDTC", "start")
        .pipe(assign_dtc, "MHENDTC", "end")
        .pipe(hardcode_coded, "MHENRTPT", "ONGOING", ctx=ctx, domain="MH", where=ongoing)
        .pipe(hardcode_coded, "MHENRTPT", "BEFORE", ctx=ctx, domain="MH", where=ended)
    )
    consent = pd.Series(map_distinct(lambda u: _consent(ctx, u), frame["USUBJID"]), index=frame.index, dtype=object)
    frame["MHENTPT"] = consent.where(ongoing | ended, None)
    frame["MHSPID"] = sponsor_ids(frame, "mh_id", ctx, "MH")
    frame = (
        frame.pipe(assign, "MHLLT", "llt")
        .pipe(assign, "MHHLT", "hlt")
        .pipe(assign, "MHHLGT", "hlgt")
        .pipe(assign_coded, "MHSEV", "severity", ctx=ctx, domain="MH")
    )
    frame = (
        frame.pipe(derive_epoch, dtc="MHSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="MHSTDTC", dy="MHSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="MHENDTC", dy="MHENDY", ctx=ctx)
        .pipe(derive_seq, seq="MHSEQ", order=["MHTERM", "MHSTDTC", "mh_id"])
        .pipe(with_collection_timing, ctx, "MH", visit=True, dtc=True)
    )
    return select(frame, filled_variables(frame, ctx.variable_names("MH")))


def _consent(ctx: SdtmContext, usubjid: str) -> str | None:
    reference = ctx.reference(usubjid)
    return reference.rficdtc if reference is not None else None
