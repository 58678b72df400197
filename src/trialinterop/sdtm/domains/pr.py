"""PR (one record per recorded procedure per occurrence per subject, SDTMIG 3.4 §6.1 Procedures) from
`records.procedures`.

PRTRT is the procedure as reported and PRSPID the record's number within the subject; PRDECOD the standardized name
as coded (null when not coded), PRINDC the indication and PRLOC the location as given; PRSTDTC/PRENDTC stay as
collected (partial allowed, never imputed), so PRSTDY/PRENDY and EPOCH are null for partial dates. VISITNUM/VISIT
when the records hold the visit. Which of these a study submits is its specification's (`mappings/variables.csv`);
a Permissible variable no record fills is left out (`filled_variables` over the optional ones below).
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
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

OPTIONAL = ("PRDECOD", "PRINDC", "PRLOC", "PRENDTC", "PRENDY", "VISITNUM", "VISIT")
"""Permissible PR variables submitted only when a record fills them."""


def build_pr(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    variables = ctx.variable_names("PR")
    if not records.procedures:
        return empty_frame(filled_variables(pd.DataFrame(), variables, OPTIONAL))
    frame = with_identifiers(records_frame(records.procedures), ctx, "PR")
    frame = (
        frame.pipe(assign, "PRTRT", "term")
        .pipe(assign, "PRDECOD", "decoded")
        .pipe(assign, "PRINDC", "indication")
        .pipe(assign, "PRLOC", "location")
        .pipe(assign_dtc, "PRSTDTC", "start")
        .pipe(assign_dtc, "PRENDTC", "end")
    )
    frame["PRSPID"] = frame["pr_id"].map(str).astype(object)
    frame = (
        frame.pipe(derive_epoch, dtc="PRSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="PRSTDTC", dy="PRSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="PRENDTC", dy="PRENDY", ctx=ctx)
        .pipe(derive_seq, seq="PRSEQ", order=["PRSTDTC", "PRTRT", "pr_id"])
        .pipe(with_collection_timing, ctx, "PR", visit=True, dtc=False)
    )
    return select(frame, filled_variables(frame, variables, OPTIONAL))
