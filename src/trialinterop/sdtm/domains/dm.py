"""DM (one record per subject) and SUPPDM (RACE1..n when more than one race was collected).

AGE: whole years from a complete BRTHDTC to RFSTDTC (RFICDTC when the subject has no RFSTDTC: screen failures and
subjects never treated); when the birth date is partial or absent the collected age (years at informed consent) is
used. Arms: enrolled subjects get the single planned arm; ACTARM is that arm when the AlloRx infusion was given;
otherwise ARMNRS says why (SCREEN FAILURE, ASSIGNED, NOT TREATED, UNPLANNED TREATMENT with ACTARMUD).
"""

from __future__ import annotations

import pandas as pd

from trialinterop.sdtm.algorithms import assign, assign_ct, assign_dtc, hardcode, records_frame
from trialinterop.sdtm.context import SdtmContext
from trialinterop.sdtm.derive import compute_age
from trialinterop.sdtm.domains.base import empty_frame, select, with_identifiers
from trialinterop.source.models import Subject, TrialRecords

DM_VARIABLES = (
    "STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC",
    "DTHDTC", "DTHFL", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM", "ACTARMCD",
    "ACTARM", "ARMNRS", "ACTARMUD", "COUNTRY",
)  # fmt: skip
SUPP_VARIABLES = ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL")


def compute_dm_age(subject: Subject, rfstdtc: str | None) -> int | None:
    """Derived from a complete birth date (at RFSTDTC, else at consent), else the collected age."""
    derived = compute_age(subject.birth_date, rfstdtc or subject.consent_date)
    return derived if derived is not None else subject.age


def compute_race(races: tuple[str, ...]) -> str | None:
    if not races:
        return None
    return races[0] if len(races) == 1 else "MULTIPLE"


def _arm_values(records: TrialRecords, ctx: SdtmContext, usubjid: str, treatments: set[str]) -> dict[str, str | None]:
    """ARM/ACTARM and their null reasons for one subject, given the treatments the subject received."""
    reference = ctx.reference(usubjid)
    arm = records.study.arms[0] if records.study.arms else None
    values: dict[str, str | None] = dict.fromkeys(("ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"))
    if reference is None or not reference.enrolled or arm is None:
        values["ARMNRS"] = "SCREEN FAILURE"
        return values
    values["ARMCD"], values["ARM"] = arm.code, arm.label
    if ctx.design.infusion_treatment in treatments:
        values["ACTARMCD"], values["ACTARM"] = arm.code, arm.label
    elif treatments:
        values["ARMNRS"] = "UNPLANNED TREATMENT"
        values["ACTARMUD"] = " AND ".join(sorted(treatments)) + " WITHOUT " + ctx.design.infusion_treatment
    else:
        values["ARMNRS"] = "ASSIGNED, NOT TREATED"
    return values


def build_dm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    if not records.subjects:
        return empty_frame(DM_VARIABLES)
    terms = ctx.terminology
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
    received: dict[str, set[str]] = {}
    for exposure in records.exposures:
        received.setdefault(exposure.subject_id, set()).add(exposure.treatment)
    arms = pd.DataFrame(
        [
            _arm_values(records, ctx, u, received.get(s, set()))
            for u, s in zip(frame["USUBJID"], frame["subject_id"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    frame = pd.concat([frame, derived, arms], axis=1)
    frame = (
        frame.pipe(assign, "SUBJID", "subject_id")
        .pipe(assign_dtc, "RFICDTC", "consent_date")
        .pipe(assign_dtc, "DTHDTC", "death_date")
        .pipe(assign, "SITEID", "site_id")
        .pipe(assign_dtc, "BRTHDTC", "birth_date")
        .pipe(hardcode, "AGEU", "YEARS", where=frame["AGE"].notna())
        .pipe(assign_ct, "SEX", "sex", codelist="SEX", terminology=terms)
        .pipe(assign_ct, "ETHNIC", "ethnicity", codelist="ETHNIC", terminology=terms)
        .pipe(assign, "COUNTRY", "country")
    )
    return select(frame.sort_values("USUBJID", kind="mergesort"), DM_VARIABLES)


def build_suppdm(records: TrialRecords, ctx: SdtmContext) -> pd.DataFrame:
    """RACE1..n (QORIG Collected) for subjects with more than one race; IDVAR/IDVARVAL null (SDTMIG 8.4)."""
    rows = []
    for subject in sorted(records.subjects, key=lambda s: ctx.usubjid(s.subject_id)):
        if len(subject.race) < 2:
            continue
        for n, race in enumerate(subject.race, start=1):
            rows.append(
                {
                    "STUDYID": ctx.study_id,
                    "RDOMAIN": "DM",
                    "USUBJID": ctx.usubjid(subject.subject_id),
                    "QNAM": f"RACE{n}",
                    "QLABEL": f"Race {n}",
                    "QVAL": race,
                    "QORIG": "Collected",
                }
            )
    if not rows:
        return empty_frame(SUPP_VARIABLES)
    return select(pd.DataFrame(rows, dtype=object), SUPP_VARIABLES)
