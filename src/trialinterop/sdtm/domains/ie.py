"""IE: one record per inclusion criterion not met or exclusion criterion met (eligibility.csv), collected at the
screening visit; IETEST and IECAT come from the criterion in the study definition (= TI)."""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day, derive_visit
from trialinterop.sdtm.domains.base import assign_coded, empty_frame, select, with_identifiers
from trialinterop.source.models import TrialRecords


def _screening_visit(records: TrialRecords) -> float | None:
    for visit in sorted(records.study.visits, key=lambda v: v.visit_num):
        if "ELIGIBILITY" in visit.assessments:
            return visit.visit_num
    return None


def build_ie(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.eligibility:
        return empty_frame(ctx.variable_names("IE"))
    frame = with_identifiers(records_frame(records.eligibility), ctx, "IE")
    criteria = {c.id: c for c in records.study.criteria}
    frame["IETEST"] = [criteria[c].text for c in frame["criterion_id"]]
    frame["IECAT"] = [criteria[c].category for c in frame["criterion_id"]]
    frame["VISITNUM"] = pd.array([_screening_visit(records)] * len(frame), dtype="Float64")
    frame = (
        frame.pipe(assign, "IETESTCD", "criterion_id")
        .pipe(assign_coded, "IEORRES", "result", ctx=ctx, domain="IE")
        .pipe(assign_coded, "IESTRESC", "result", ctx=ctx, domain="IE")
        .pipe(assign_dtc, "IEDTC", "assessment_date")
        .pipe(derive_visit, study=records.study)
        .pipe(derive_epoch, dtc="IEDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="IEDTC", dy="IEDY", ctx=ctx)
        .pipe(derive_seq, seq="IESEQ", order=["IETESTCD"])
    )
    return select(frame, ctx.variable_names("IE"))
