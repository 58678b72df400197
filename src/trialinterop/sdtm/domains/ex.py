"""EX: one record per administration (or constant-dosing interval) of an intervention of the study definition;
a subject may have many (e.g. one per daily patch). EXSEQ is chronological (EXSTDTC, then EXTRT) and each
administration takes the EPOCH of the element holding its start.

EXTRT is the intervention's `extrt` (its name without the dose, which is EXDOSE) when the definition gives one,
else the treatment as collected. Dose form and frequency fall back to the definition's intervention when the record
leaves them empty. VISITNUM/VISIT (the visit the administration was recorded at) are submitted when the records
hold them.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_epoch, derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import (
    assign_coded,
    empty_frame,
    filled_variables,
    select,
    with_collection_timing,
    with_identifiers,
)
from trialinterop.source.models import TrialRecords

EX_KEYS = ["EXSTDTC", "EXTRT"]


def _with_protocol_defaults(frame: pd.DataFrame, records: TrialRecords) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write (pandas 3): new columns never reach `frame`
    out["extrt"] = [_extrt(records, treatment) for treatment in out["treatment"]]
    for column, attribute in (("dose_form", "dose_form"), ("frequency", "frequency")):
        out[column] = [
            value if value is not None else getattr(records.study.intervention_for(treatment), attribute, None)
            for value, treatment in zip(out[column], out["treatment"], strict=True)
        ]
    return out


def _extrt(records: TrialRecords, treatment: str) -> str:
    intervention = records.definition.intervention_for_treatment(treatment)
    return intervention.sdtm_name if intervention is not None else treatment


def build_ex(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.exposures:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("EX")))
    frame = with_identifiers(records_frame(records.exposures), ctx, "EX")
    frame = (
        frame.pipe(_with_protocol_defaults, records)
        .pipe(assign, "EXTRT", "extrt")
        .pipe(assign, "EXDOSE", "dose")
        .pipe(assign_coded, "EXDOSU", "dose_unit", ctx=ctx, domain="EX")
        .pipe(assign_coded, "EXDOSFRM", "dose_form", ctx=ctx, domain="EX")
        .pipe(assign_coded, "EXDOSFRQ", "frequency", ctx=ctx, domain="EX")
        .pipe(assign_coded, "EXROUTE", "route", ctx=ctx, domain="EX")
        .pipe(assign, "EXLOT", "lot")
        .pipe(assign_dtc, "EXSTDTC", "start")
        .pipe(assign_dtc, "EXENDTC", "end")
        .pipe(derive_epoch, dtc="EXSTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="EXSTDTC", dy="EXSTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="EXENDTC", dy="EXENDY", ctx=ctx)
        .pipe(derive_seq, seq="EXSEQ", order=EX_KEYS)
        .pipe(with_collection_timing, ctx, "EX", visit=True, dtc=False)
    )
    frame["EXDOSE"] = pd.to_numeric(frame["EXDOSE"]).astype("Float64")
    return select(frame, filled_variables(frame, ctx.variable_names("EX")))


def exposure_seqs(records: TrialRecords, ctx: SdtmContext) -> dict[tuple[str, int], str]:
    """(subject id, n) -> the EXSEQ `build_ex` gives the subject's n-th exposure (1-based, in records order): how a
    SUPPEX value (fhir_in.supplemental.exposure_values) finds its parent record."""
    if not records.exposures:
        return {}
    frame = with_identifiers(records_frame(records.exposures), ctx, "EX")
    frame = frame.pipe(_with_protocol_defaults, records).pipe(assign, "EXTRT", "extrt")
    frame = assign_dtc(frame, "EXSTDTC", "start")
    frame["_n"] = frame.groupby("subject_id", sort=False).cumcount() + 1
    frame = derive_seq(frame, seq="EXSEQ", order=EX_KEYS)
    return {(s, int(n)): str(int(q)) for s, n, q in zip(frame["subject_id"], frame["_n"], frame["EXSEQ"], strict=True)}
