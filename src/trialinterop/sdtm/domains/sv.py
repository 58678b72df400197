"""SV: one record per planned or unplanned visit per subject, as listed in visits.csv.

A planned visit that did not take place is SVOCCUR N with SVPRESP Y and the reason in SVREASOC; an unplanned
visit (VISITNUM not in TV) has SVPRESP and SVOCCUR null (SVOCCUR only qualifies pre-specified visits, CDISC
CG0654) and its reason in SVUPDES. The visit is one day: SVENDTC = SVSTDTC.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import assign_coded, empty_frame, hardcode_coded, select, with_identifiers
from trialinterop.source.models import TrialRecords


def build_sv(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.visits:
        return empty_frame(ctx.variable_names("SV"))
    planned = {v.visit_num for v in records.study.visits}
    frame = with_identifiers(records_frame(records.visits), ctx, "SV")
    frame["VISITNUM"] = pd.array([float(v) for v in frame["visit_num"]], dtype="Float64")
    is_planned = frame["visit_num"].map(lambda v: float(v) in planned).astype(bool)
    frame = (
        frame.pipe(derive_visit, study=records.study)
        .pipe(hardcode_coded, "SVPRESP", "Y", ctx=ctx, domain="SV", where=is_planned)
        .pipe(assign_coded, "SVOCCUR", "occurred", ctx=ctx, domain="SV", where=is_planned)
        .pipe(assign, "SVREASOC", "reason_not_done")
        .pipe(assign_dtc, "SVSTDTC", "visit_date")
        .pipe(assign_dtc, "SVENDTC", "visit_date")
        .pipe(assign, "SVUPDES", "unplanned_description", where=~is_planned)
        .pipe(derive_study_day, dtc="SVSTDTC", dy="SVSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="SVENDTC", dy="SVENDY", ctx=ctx)
        .sort_values(["USUBJID", "VISITNUM"], kind="mergesort")
    )
    return select(frame, ctx.variable_names("SV"))
