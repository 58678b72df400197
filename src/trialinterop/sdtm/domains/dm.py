"""DM (one record per subject) and SUPPDM (RACE1..n when more than one race was collected; one qualifier per subject
attribute of the definition that names a `qnam`).

AGE: whole years from a complete BRTHDTC to RFSTDTC (RFICDTC when the subject has no RFSTDTC: screen failures and
subjects never treated); when the birth date is partial or absent the collected age (years at informed consent) is
used. Arms (ARMCD/ACTARMCD, ARMNRS, ACTARMUD) are decided once per subject in `sdtm.subject_arms`; ARM/ACTARM are
the names of those arms in the definition.
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_dtc, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import compute_age, derive_study_day
from trialinterop.sdtm.domains.base import (
    assign_coded,
    empty_frame,
    filled_variables,
    hardcode_coded,
    select,
    supp_qualifier,
    with_identifiers,
)
from trialinterop.sdtm.subject_arms import SCREEN_FAILURE
from trialinterop.source.models import Subject, TrialRecords


def compute_dm_age(subject: Subject, rfstdtc: str | None) -> int | None:
    """Derived from a complete birth date (at RFSTDTC, else at consent), else the collected age."""
    derived = compute_age(subject.birth_date, rfstdtc or subject.consent_date)
    return derived if derived is not None else subject.age


def compute_race(races: tuple[str, ...]) -> str | None:
    if not races:
        return None
    return races[0] if len(races) == 1 else "MULTIPLE"


def _arm_values(ctx: SdtmContext, usubjid: str) -> dict[str, str | None]:
    """ARMCD/ARM, ACTARMCD/ACTARM and the null reasons of one subject."""
    reference = ctx.reference(usubjid)
    if reference is None:
        return dict.fromkeys(("ARMCD", "ARM", "ACTARMCD", "ACTARM", "ACTARMUD")) | {"ARMNRS": SCREEN_FAILURE}

    def name(code: str | None) -> str | None:
        arm = ctx.require_definition().arm(code) if code else None
        return arm.name if arm else None

    return {
        "ARMCD": reference.arm_code,
        "ARM": name(reference.arm_code),
        "ACTARMCD": reference.actual_arm_code,
        "ACTARM": name(reference.actual_arm_code),
        "ARMNRS": reference.arm_null_reason,
        "ACTARMUD": reference.unplanned_arm,
    }


def build_dm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.subjects:
        return empty_frame(filled_variables(pd.DataFrame(), ctx.variable_names("DM")))
    source = records_frame(records.subjects)
    frame = with_identifiers(source, ctx, "DM")
    refs = [ctx.subjects[u] for u in frame["USUBJID"]]
    deaths = {d.subject_id for d in records.dispositions if d.event == "DEATH"}
    derived = pd.DataFrame(
        {
            "RFSTDTC": [r.rfstdtc for r in refs],
            "RFENDTC": [r.rfpendtc if r.treated else None for r in refs],
            "RFXSTDTC": [r.rfxstdtc for r in refs],
            "RFXENDTC": [r.rfxendtc for r in refs],
            "RFPENDTC": [r.rfpendtc for r in refs],
            "AGE": pd.array(
                [compute_dm_age(s, r.rfstdtc) for s, r in zip(records.subjects, refs, strict=True)], dtype="Int64"
            ),
            "RACE": [compute_race(s.race) for s in records.subjects],
            "DTHFL": ["Y" if s.death_date or s.subject_id in deaths else None for s in records.subjects],
        },
        index=frame.index,
        dtype=object,
    )
    derived["AGE"] = derived["AGE"].astype("Int64")
    arms = pd.DataFrame([_arm_values(ctx, u) for u in frame["USUBJID"]], index=frame.index, dtype=object)
    frame = pd.concat([frame, derived, arms], axis=1)
    frame = (
        frame.pipe(assign, "SUBJID", "subject_id")
        .pipe(assign_dtc, "RFICDTC", "consent_date")
        .pipe(assign_dtc, "DTHDTC", "death_date")
        .pipe(assign, "SITEID", "site_id")
        .pipe(assign_dtc, "BRTHDTC", "birth_date")
        .pipe(hardcode_coded, "AGEU", "YEARS", ctx=ctx, domain="DM", where=frame["AGE"].notna())
        .pipe(assign_coded, "SEX", "sex", ctx=ctx, domain="DM")
        .pipe(assign_coded, "ETHNIC", "ethnicity", ctx=ctx, domain="DM")
        .pipe(assign, "COUNTRY", "country")
        .pipe(assign_dtc, "DMDTC", "collection_date")
        .pipe(derive_study_day, dtc="DMDTC", dy="DMDY", ctx=ctx)
    )
    return select(frame.sort_values("USUBJID", kind="mergesort"), filled_variables(frame, ctx.variable_names("DM")))


def build_suppdm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """RACE1..n for subjects with more than one race, then one row per subject attribute of the definition with a
    `qnam` that the subject has a value for; IDVAR/IDVARVAL null (SDTMIG 8.4). QLABEL and QORIG are those of the
    QNAM's value-level entry (an attribute the specification does not list: its label, QORIG Collected)."""
    qualifiers = [a for a in ctx.require_definition().subjects.attributes if a.qnam]
    rows = []
    for subject in sorted(records.subjects, key=lambda s: ctx.usubjid(s.subject_id)):
        usubjid = ctx.usubjid(subject.subject_id)
        values: list[tuple[str, str | None, str | None]] = []
        if len(subject.race) > 1:
            values += [(f"RACE{n}", None, race) for n, race in enumerate(subject.race, start=1)]
        values += [(a.qnam or "", a.label, subject.attribute(a.name)) for a in qualifiers]
        rows += [
            {"STUDYID": ctx.study_id, "RDOMAIN": "DM", "USUBJID": usubjid, "QNAM": qnam}
            | supp_qualifier(ctx, "SUPPDM", qnam, label)
            | {"QVAL": value}
            for qnam, label, value in values
            if value is not None and value != ""
        ]
    if not rows:
        return empty_frame(ctx.variable_names("SUPPDM"))
    return select(pd.DataFrame(rows, dtype=object), ctx.variable_names("SUPPDM"))
