"""DS: the INFORMED CONSENT OBTAINED protocol milestone for every subject with a consent date (DSSTDTC = RFICDTC)
and one record per row of disposition.csv: a DISPOSITION EVENT (DSSCAT STUDY PARTICIPATION), or an OTHER EVENT
when its category says so. DSDECOD's codelist for each DSCAT is the specification's value-level entry (PROTMLST for
PROTOCOL MILESTONE, NCOMPLT for DISPOSITION EVENT, OTHEVENT for OTHER EVENT), its terms those of the
specification's terminology (a codelist the study definition declares replaces the CDISC one).
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
    terms = ctx.spec.terminology
    consent = terms.term(ctx.value_codelist("DS", "DSDECOD", MILESTONE), CONSENT).value
    rows: list[Mapping[str, str | float | None]] = [
        {"subject_id": s.subject_id, "DSTERM": consent, "DSDECOD": consent, "DSCAT": MILESTONE}
        | {"DSSCAT": None, "DSSTDTC": s.consent_date, "visit_num": None, "collection_date": None, "DSSPID": None}
        for s in records.subjects
        if s.consent_date
    ]
    for d in records.dispositions:
        category = d.category or EVENT
        decod = terms.term(ctx.value_codelist("DS", "DSDECOD", category), d.event).value
        rows.append(
            {"subject_id": d.subject_id, "DSTERM": d.term, "DSDECOD": decod, "DSCAT": category}
            | {"DSSCAT": "STUDY PARTICIPATION" if d.is_disposition else None}
            | {"DSSTDTC": d.event_date, "collection_date": d.collection_date}
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
