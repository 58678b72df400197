"""SE: one record per element a subject entered (windows computed once in the context; see sdtm.derive), and one
per unplanned element of unplanned_elements.csv (ETCD UNPLAN, ELEMENT and TAETORD null, SEUPDES its description,
SDTMIG 3.4 SE); SEUPDES is submitted only when some record has it.

SESEQ is chronological (SESTDTC, then TAETORD), as CDISC CORE-000535 requires, rather than in the order of the
dataset keys (ETCD, SESTDTC) used for every other --SEQ.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import derive_seq, derive_study_day
from trialinterop.sdtm.domains.base import empty_frame, select
from trialinterop.source.models import TrialRecords

UNPLANNED = "UNPLAN"


def build_se(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    rows: list[dict[str, object]] = [
        {"STUDYID": ctx.study_id, "DOMAIN": "SE", "USUBJID": reference.usubjid, "ETCD": e.etcd}
        | {"ELEMENT": e.element, "TAETORD": e.taetord, "EPOCH": e.epoch, "SESTDTC": e.start, "SEENDTC": e.end}
        for reference in ctx.subjects.values()
        for e in reference.elements
    ]
    for u in records.unplanned_elements:
        usubjid = ctx.usubjids.get(u.subject_id)
        if usubjid is None:
            continue
        row: dict[str, object] = {"STUDYID": ctx.study_id, "DOMAIN": "SE", "USUBJID": usubjid, "ETCD": UNPLANNED}
        row |= {"ELEMENT": None, "TAETORD": None, "EPOCH": u.epoch, "SESTDTC": u.start, "SEENDTC": u.end}
        rows.append(row | {"SEUPDES": u.description})
    if not rows:
        return empty_frame(ctx.variable_names("SE"))
    frame = pd.DataFrame(rows, dtype=object)
    frame["TAETORD"] = pd.array(frame["TAETORD"].tolist(), dtype="Int64")
    frame = (
        frame.pipe(derive_study_day, dtc="SESTDTC", dy="SESTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="SEENDTC", dy="SEENDY", ctx=ctx)
        .pipe(derive_seq, seq="SESEQ", order=["SESTDTC", "TAETORD"])
    )
    described = "SEUPDES" in frame.columns and frame["SEUPDES"].notna().any()
    return select(frame, [v for v in ctx.variable_names("SE") if v != "SEUPDES" or described])
