"""AE (one record per adverse event) and SUPPAE (AETRTEM treatment-emergent flag, AESOSP serious specify text).

MedDRA: AEBODSYS and AESOC are both the primary SOC given with the coding. An AE not yet coded to MedDRA gets
AEDECOD "UNCODED" (AEDECOD is Required, so it is never null) and null hierarchy variables; `check_uncoded_events`
reports each one as a WARNING so the gap is stated, not hidden. AESPID keeps the sponsor's AE number.

Incomplete AEs (a data cut before the AE form was finished): a missing start, seriousness, severity, causality,
action or outcome stays null in AESTDTC, AESER, AESEV, AEREL, AEACN and AEOUT (Expected or Permissible in SDTMIG
3.4), and so do AESTDY and EPOCH; nothing is imputed. Such an AE sorts after the dated ones of the same AEDECOD
for AESEQ. AETRTEM (MT.AETRTEM) follows the conservative rule for partial dates: an AE of a treated subject with no
start cannot be shown to precede RFXSTDTC, so it is flagged Y; an AE of a subject never treated is N. AEDTC/AEDY
(the date the AE was recorded) are submitted when the records hold them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialinterop.issues import Issue, Severity
from trialinterop.sdtm.algorithms import assign, assign_dtc, hardcode, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import (
    derive_epoch,
    derive_seq,
    derive_study_day,
    derive_usubjid,
)
from trialinterop.sdtm.domains.base import (
    assign_coded,
    empty_frame,
    filled_variables,
    select,
    sponsor_ids,
    supp_qualifier,
    with_collection_timing,
    with_identifiers,
)
from trialinterop.sdtm.dtc_columns import compare, dtc_column
from trialinterop.source.models import TrialRecords

UNCODED = "UNCODED"
_MEDDRA = (
    ("AELLT", "llt"), ("AELLTCD", "llt_code"), ("AEPTCD", "pt_code"), ("AEHLT", "hlt"), ("AEHLTCD", "hlt_code"),
    ("AEHLGT", "hlgt"), ("AEHLGTCD", "hlgt_code"), ("AEBODSYS", "soc"), ("AEBDSYCD", "soc_code"), ("AESOC", "soc"),
    ("AESOCCD", "soc_code"),
)  # fmt: skip
_SERIOUSNESS = (
    ("AESCONG", "congenital_anomaly"), ("AESDISAB", "disability"), ("AESDTH", "death"),
    ("AESHOSP", "hospitalization"), ("AESLIFE", "life_threatening"), ("AESMIE", "medically_important"),
)  # fmt: skip
_CODES = ("AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AEBDSYCD", "AESOCCD")


def build_ae(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.adverse_events:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("AE")))
    frame = with_identifiers(records_frame(records.adverse_events), ctx, "AE")
    frame = (
        frame.pipe(assign, "AESPID", "ae_id")
        .pipe(assign, "AETERM", "term")
        .pipe(assign, "AEDECOD", "pt")
        .pipe(hardcode, "AEDECOD", UNCODED, where=frame["pt"].isna())
        .pipe(assign_coded, "AESEV", "severity", ctx=ctx, domain="AE")
        .pipe(assign_coded, "AESER", "serious", ctx=ctx, domain="AE")
        .pipe(assign_coded, "AEACN", "action", ctx=ctx, domain="AE")
        .pipe(assign_coded, "AEREL", "relationship", ctx=ctx, domain="AE")
        .pipe(assign_coded, "AEOUT", "outcome", ctx=ctx, domain="AE")
        .pipe(assign_dtc, "AESTDTC", "start")
        .pipe(assign_dtc, "AEENDTC", "end")
    )
    for target, source in _MEDDRA:
        frame = assign(frame, target, source)
    for target, source in _SERIOUSNESS:
        frame = assign_coded(frame, target, source, ctx=ctx, domain="AE")
    for code in _CODES:
        frame[code] = pd.array(frame[code].tolist(), dtype="Int64")
    frame["AESPID"] = sponsor_ids(frame, "ae_id", ctx, "AE")
    frame = assign_coded(frame, "AESCAN", "cancer", ctx=ctx, domain="AE")
    frame = assign_coded(frame, "AESOD", "overdose", ctx=ctx, domain="AE")
    frame["AETOXGR"] = frame["ctcae_grade"].map(lambda v: None if v is None or pd.isna(v) else str(int(v)))
    frame = (
        frame.pipe(derive_epoch, dtc="AESTDTC", ctx=ctx)
        .pipe(derive_study_day, dtc="AESTDTC", dy="AESTDY", ctx=ctx)
        .pipe(derive_study_day, dtc="AEENDTC", dy="AEENDY", ctx=ctx)
        .pipe(derive_seq, seq="AESEQ", order=["AEDECOD", "AESTDTC", "ae_id"])
        .pipe(with_collection_timing, ctx, "AE", visit=False, dtc=True)
    )
    return select(frame, filled_variables(frame, ctx.variable_names("AE")))


def build_suppae(records: TrialRecords, ctx: SdtmContext, *, ae: pd.DataFrame) -> pd.DataFrame:
    """AETRTEM for every AE (QEVAL SPONSOR) and AESOSP where a specify text was given; QLABEL and QORIG are those
    of the QNAM's value-level entry.

    AETRTEM is `compute_treatment_emergent` over the whole column: Y unless the start is known to precede
    RFXSTDTC; N for every AE of an untreated subject."""
    if ae.empty:
        return empty_frame(ctx.variable_names("SUPPAE"))
    texts_given = ctx.sponsor_ids_given("AE", any(a.sponsor_id for a in records.adverse_events))
    specify = {
        (ctx.usubjid(a.subject_id), a.sponsor_id if texts_given else str(a.ae_id)): a.serious_specify
        for a in records.adverse_events
    }
    starts = dtc_column(ae["AESTDTC"])
    exposure = ctx.table.rfxstdtc.take(ctx.table.rows(ae["USUBJID"]))
    before = starts.present & (compare(starts, exposure) < 0)
    flags = np.where(exposure.present & ~before, "Y", "N").astype(object)
    base = pd.DataFrame(
        {
            "STUDYID": ctx.study_id,
            "RDOMAIN": "AE",
            "USUBJID": ae["USUBJID"].to_numpy(dtype=object),
            "IDVAR": "AESEQ",
            "IDVARVAL": [str(seq) for seq in ae["AESEQ"].tolist()],
        },
        dtype=object,
    )
    emergent = base.assign(QNAM="AETRTEM", QVAL=flags, **supp_qualifier(ctx, "SUPPAE", "AETRTEM"), QEVAL="SPONSOR")
    texts = [specify.get(key) for key in zip(ae["USUBJID"].tolist(), ae["AESPID"].tolist(), strict=True)]
    given = np.array([bool(t) for t in texts], dtype=bool)
    specified = base[given].assign(
        QNAM="AESOSP", QVAL=np.array(texts, dtype=object)[given], **supp_qualifier(ctx, "SUPPAE", "AESOSP")
    )
    specified["QEVAL"] = None
    rows = pd.concat([emergent, specified], ignore_index=True)
    order = np.argsort(np.r_[np.arange(len(ae)) * 2, np.flatnonzero(given) * 2 + 1], kind="stable")
    return select(rows.take(order).astype(object), ctx.variable_names("SUPPAE"))


def check_uncoded_events(records: TrialRecords) -> list[Issue]:
    """One WARNING per AE without a MedDRA preferred term (AEDECOD set to UNCODED)."""
    return [issue for _, issue in uncoded_event_issues(records)]


def uncoded_event_issues(records: TrialRecords) -> list[tuple[tuple[str, int], Issue]]:
    """`check_uncoded_events` with the (subject id, AE number) of each, the order of the records' AEs (the issues
    of parts of a trial, sorted by it, are the whole trial's)."""
    return [
        (
            (a.subject_id, a.ae_id),
            Issue(
                "TI-BLD-AEUNCODED",
                Severity.WARNING,
                f"adverse event is not coded to MedDRA; AEDECOD set to {UNCODED}",
                where="AE",
                key=f"{derive_usubjid(records.study.study_id, a.subject_id)} AESPID {a.ae_id} ({a.origin})",
                field="AEDECOD",
                value=a.term,
            ),
        )
        for a in records.adverse_events
        if not a.is_coded
    ]
