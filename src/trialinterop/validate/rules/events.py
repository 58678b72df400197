"""Demographics, exposure and adverse events: the consistency rules reviewers check first."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, text

NOT_TREATED_ARMNRS = frozenset({"SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED"})
LEGACY_NOT_TREATED = frozenset({"SCRNFAIL", "NOTASSGN", "NOTTRT", ""})  # before SDTMIG 3.3: pseudo-arm codes
PSEUDO_ARMS = frozenset({"SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN"})
SERIOUS_CRITERIA = ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD", "AESMIE")
ENDED_OUTCOMES = frozenset({"RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL"})
ONGOING_OUTCOMES = frozenset({"NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING"})


def _treated(dm) -> pd.Series:
    """Subjects who received treatment: an actual arm that is not a legacy pseudo-arm, or no reason for no arm."""
    frame = dm.frame
    if "ACTARMCD" in frame.columns:
        treated = ~text(frame["ACTARMCD"]).str.upper().isin(LEGACY_NOT_TREATED)
    elif "ARMCD" in frame.columns:
        treated = ~text(frame["ARMCD"]).str.upper().isin(LEGACY_NOT_TREATED)
    else:
        return pd.Series(False, index=frame.index)
    if "ARMNRS" in frame.columns:
        treated &= ~text(frame["ARMNRS"]).isin(NOT_TREATED_ARMNRS)
    return treated


@rule(
    id="TI-DM001",
    split="subject",
    severity=Severity.ERROR,
    scope="DM",
    message="AGE is zero or negative",
    references=["SDTMIG 3.4 DM specification", "P21 SD0084"],
)
def check_age_positive(ctx: Context) -> Iterator[Finding]:
    """AGE, when given, is a positive number."""
    dm = ctx.get("DM")
    if dm is not None and "AGE" in dm.frame.columns:
        yield from row_findings(dm, pd.to_numeric(dm.frame["AGE"], errors="coerce") <= 0, "AGE")


@rule(
    id="TI-DM002",
    split="subject",
    severity=Severity.ERROR,
    scope="DM",
    message="RFSTDTC is missing for a treated subject",
    references=["SDTMIG 3.4 DM assumption 9", "P21 SD0087", "P21 SD1213"],
)
def check_rfstdtc_for_treated(ctx: Context) -> Iterator[Finding]:
    """Subjects with an actual arm (not screen failures / not assigned / not treated) have a reference start date."""
    dm = ctx.get("DM")
    if dm is None or "RFSTDTC" not in dm.frame.columns:
        return
    yield from row_findings(dm, _treated(dm) & blank(dm.frame["RFSTDTC"]), "RFSTDTC")


@rule(
    id="TI-DM003",
    split="subject",
    severity=Severity.ERROR,
    scope="DM, TA",
    message="Planned or actual arm (ARMCD/ARM, ACTARMCD/ACTARM) is not an arm of TA",
    references=["SDTMIG 3.4 DM assumption 4", "P21 SD0066", "P21 SD0071", "CORE-000155", "CORE-000047", "CORE-000208"],
)
def check_arms_in_ta(ctx: Context) -> Iterator[Finding]:
    """Populated ARMCD/ARM and ACTARMCD/ACTARM pairs must be ARMCD/ARM pairs of TA."""
    dm, ta = ctx.get("DM"), ctx.get("TA")
    if dm is None or ta is None or not {"ARMCD", "ARM"} <= set(ta.frame.columns):
        return
    pairs = set(zip(text(ta.frame["ARMCD"]), text(ta.frame["ARM"]), strict=True))
    for code, name in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
        if code not in dm.frame.columns:
            continue
        codes = text(dm.frame[code])
        names = text(dm.frame[name]) if name in dm.frame.columns else None
        if names is None:
            known = pd.Series([c in {p[0] for p in pairs} for c in codes], index=codes.index)
            shown = codes
        else:
            known = pd.Series([p in pairs for p in zip(codes, names, strict=True)], index=codes.index)
            shown = codes + " / " + names
        bad = ~known & (codes != "") & ~codes.str.upper().isin(PSEUDO_ARMS)  # pseudo arms: TI-DM005
        yield from row_findings(dm, bad, code, values=shown)


@rule(
    id="TI-DM004",
    split="subject",
    severity=Severity.ERROR,
    scope="DM",
    message="ARMNRS must be given exactly when ARMCD or ACTARMCD is null",
    references=["SDTMIG 3.4 DM assumption 4", "CORE-000121"],
)
def check_armnrs(ctx: Context) -> Iterator[Finding]:
    """A null arm needs a reason in ARMNRS; a reason with both arms populated contradicts them."""
    dm = ctx.get("DM")
    if dm is None or "ARMNRS" not in dm.frame.columns or "ARMCD" not in dm.frame.columns:
        return
    frame = dm.frame
    arm_null = blank(frame["ARMCD"])
    if "ACTARMCD" in frame.columns:
        arm_null |= blank(frame["ACTARMCD"])
    reason = ~blank(frame["ARMNRS"])
    yield from row_findings(dm, arm_null & ~reason, "ARMNRS", detail="arm null without a reason")
    yield from row_findings(dm, ~arm_null & reason, "ARMNRS", detail="reason given although both arms are populated")


@rule(
    id="TI-EX001",
    split="subject",
    severity=Severity.ERROR,
    scope="DM, EX",
    message="Treated subject has no EX records",
    references=["P21 SD0070", "CORE-000366"],
)
def check_treated_have_ex(ctx: Context) -> Iterator[Finding]:
    """A subject with an actual arm (treated) must have exposure records."""
    dm, ex = ctx.get("DM"), ctx.get("EX")
    if dm is None or ex is None or "USUBJID" not in ex.frame.columns:
        return
    exposed = set(text(ex.frame["USUBJID"]))
    mask = _treated(dm) & ~text(dm.frame["USUBJID"]).isin(exposed)
    yield from row_findings(dm, mask, "USUBJID")


def _first_last_exposure(ex) -> pd.DataFrame:
    frame = pd.DataFrame({"USUBJID": text(ex.frame["USUBJID"]), "start": text(ex.frame.get("EXSTDTC", ""))})
    end = text(ex.frame["EXENDTC"]) if "EXENDTC" in ex.frame.columns else frame["start"]
    frame["end"] = end.where(end != "", frame["start"])
    frame = frame[frame["start"] != ""]
    grouped = frame.groupby("USUBJID")
    return pd.DataFrame({"first": grouped["start"].min(), "last": grouped["end"].max()})


@rule(
    id="TI-EX002",
    split="subject",
    severity=Severity.WARNING,
    scope="DM, EX",
    message="RFXSTDTC/RFXENDTC do not match the first/last EX dates",
    references=["SDTMIG 3.4 DM assumption 9", "P21 SD1205", "P21 SD1206", "P21 SD1207", "CORE-000238"],
)
def check_rfx_dates(ctx: Context) -> Iterator[Finding]:
    """RFXSTDTC = earliest EXSTDTC and RFXENDTC = latest EXENDTC (else EXSTDTC), compared on their date part."""
    dm, ex = ctx.get("DM"), ctx.get("EX")
    if dm is None or ex is None or "EXSTDTC" not in ex.frame.columns or "USUBJID" not in ex.frame.columns:
        return
    exposure = _first_last_exposure(ex)
    subjects = text(dm.frame["USUBJID"])
    for var, column in (("RFXSTDTC", "first"), ("RFXENDTC", "last")):
        if var not in dm.frame.columns:
            continue
        actual = text(dm.frame[var]).str.slice(0, 10)
        mapped = subjects.map(exposure[column]).astype(object)
        expected = mapped.where(mapped.notna(), "").astype(str).str.slice(0, 10)
        bad = (expected != "") & (actual != expected)
        yield from row_findings(dm, bad, var, values=text(dm.frame[var]) + " (EX: " + expected + ")")


@rule(
    id="TI-EX003",
    split="subject",
    severity=Severity.ERROR,
    scope="EX",
    message="EXDOSU is missing although EXDOSE is given",
    references=["P21 SD0035", "CORE-000093"],
)
def check_dose_unit(ctx: Context) -> Iterator[Finding]:
    """A dose needs its unit."""
    ex = ctx.get("EX")
    if ex is None or "EXDOSE" not in ex.frame.columns:
        return
    unit_missing = blank(ex.frame["EXDOSU"]) if "EXDOSU" in ex.frame.columns else True
    yield from row_findings(ex, ~blank(ex.frame["EXDOSE"]) & unit_missing, "EXDOSU", values=ex.frame["EXDOSE"])


def _criteria(ae) -> list[str]:
    return [c for c in SERIOUS_CRITERIA if c in ae.frame.columns]


@rule(
    id="TI-AE001",
    split="subject",
    severity=Severity.ERROR,
    scope="AE",
    message="Serious event (AESER=Y) without any seriousness criterion = Y",
    references=["SDTMIG 3.4 AE assumption 7a", "P21 SD0009", "CORE-000266"],
)
def check_serious_has_criterion(ctx: Context) -> Iterator[Finding]:
    """When the criteria flags are collected, AESER=Y needs at least one of them set to Y."""
    ae = ctx.get("AE")
    if ae is None or "AESER" not in ae.frame.columns or not _criteria(ae):
        return
    any_y = pd.concat([text(ae.frame[c]) == "Y" for c in _criteria(ae)], axis=1).any(axis=1)
    yield from row_findings(ae, (text(ae.frame["AESER"]) == "Y") & ~any_y, "AESER")


@rule(
    id="TI-AE002",
    split="subject",
    severity=Severity.ERROR,
    scope="AE",
    message="A seriousness criterion is Y but AESER is not Y",
    references=["SDTMIG 3.4 AE assumption 7a", "P21 SD1132", "CORE-000022"],
)
def check_criterion_implies_serious(ctx: Context) -> Iterator[Finding]:
    """Any of AESCAN, AESCONG, AESDISAB, AESDTH, AESHOSP, AESLIFE, AESOD, AESMIE = Y makes the event serious."""
    ae = ctx.get("AE")
    if ae is None or not _criteria(ae):
        return
    serious = text(ae.frame["AESER"]) == "Y" if "AESER" in ae.frame.columns else False
    for name in _criteria(ae):
        yield from row_findings(ae, (text(ae.frame[name]) == "Y") & ~serious, name)


@rule(
    id="TI-AE003",
    split="subject",
    severity=Severity.WARNING,
    scope="AE",
    message="AEOUT says the event ended but AEENDTC is missing",
    references=["P21 SD1332"],
)
def check_ended_has_end_date(ctx: Context) -> Iterator[Finding]:
    """RECOVERED/RESOLVED (with or without sequelae) or FATAL events should have an end date."""
    ae = ctx.get("AE")
    if ae is None or "AEOUT" not in ae.frame.columns or "AEENDTC" not in ae.frame.columns:
        return
    mask = text(ae.frame["AEOUT"]).isin(ENDED_OUTCOMES) & blank(ae.frame["AEENDTC"])
    yield from row_findings(ae, mask, "AEENDTC", values=ae.frame["AEOUT"])


@rule(
    id="TI-AE004",
    split="subject",
    severity=Severity.WARNING,
    scope="AE",
    message="AEOUT says the event is ongoing but AEENDTC is given",
    references=["P21 SD1333"],
)
def check_ongoing_has_no_end_date(ctx: Context) -> Iterator[Finding]:
    """NOT RECOVERED/NOT RESOLVED or RECOVERING/RESOLVING events should not have an end date."""
    ae = ctx.get("AE")
    if ae is None or "AEOUT" not in ae.frame.columns or "AEENDTC" not in ae.frame.columns:
        return
    mask = text(ae.frame["AEOUT"]).isin(ONGOING_OUTCOMES) & ~blank(ae.frame["AEENDTC"])
    yield from row_findings(ae, mask, "AEENDTC", values=text(ae.frame["AEOUT"]) + " / " + text(ae.frame["AEENDTC"]))


@rule(
    id="TI-AE005",
    split="subject",
    severity=Severity.ERROR,
    scope="AE, DM",
    message="AE says the event resulted in death (AESDTH=Y or AEOUT=FATAL) but DM.DTHFL is not Y",
    references=["SDTMIG 3.4 DM specification (DTHFL)", "SDTMIG 3.4 AE specification (AESDTH)"],
)
def check_death_flag(ctx: Context) -> Iterator[Finding]:
    """A fatal adverse event implies the subject died."""
    ae, dm = ctx.get("AE"), ctx.get("DM")
    if ae is None or dm is None or "DTHFL" not in dm.frame.columns or "USUBJID" not in ae.frame.columns:
        return
    dead = set(text(dm.frame["USUBJID"])[text(dm.frame["DTHFL"]) == "Y"])
    fatal = pd.Series(False, index=ae.frame.index)
    if "AESDTH" in ae.frame.columns:
        fatal |= text(ae.frame["AESDTH"]) == "Y"
    if "AEOUT" in ae.frame.columns:
        fatal |= text(ae.frame["AEOUT"]) == "FATAL"
    yield from row_findings(ae, fatal & ~text(ae.frame["USUBJID"]).isin(dead), "USUBJID")


@rule(
    id="TI-AE006",
    split="subject",
    severity=Severity.ERROR,
    scope="AE",
    message="AEBODSYS is populated but its MedDRA code AEBDSYCD is null",
    references=["SDTM v2.0 Events (--BDSYCD, qualifier of --BODSYS)", "CDISC CG0082", "CORE-000024"],
)
def check_body_system_coded(ctx: Context) -> Iterator[Finding]:
    """A coded body system (MedDRA SOC) carries its code; a missing AEBDSYCD variable is TI-PR006's finding."""
    ae = ctx.get("AE")
    if ae is None or "AEBODSYS" not in ae.frame.columns or "AEBDSYCD" not in ae.frame.columns:
        return
    mask = ~blank(ae.frame["AEBODSYS"]) & blank(ae.frame["AEBDSYCD"])
    yield from row_findings(ae, mask, "AEBDSYCD", values=ae.frame["AEBODSYS"])


@rule(
    id="TI-DM005",
    split="subject",
    severity=Severity.ERROR,
    scope="DM",
    message="Pseudo-arm code (SCRNFAIL, NOTASSGN, NOTTRT, UNPLAN) used; SDTMIG 3.4 leaves the arm null with ARMNRS",
    references=["SDTMIG 3.4 DM assumption 4", "CDISC CG0570", "CORE-000115"],
)
def check_no_pseudo_arms(ctx: Context) -> Iterator[Finding]:
    """Screen failures and unassigned or untreated subjects have null ARMCD/ACTARMCD and a reason in ARMNRS."""
    dm = ctx.get("DM")
    if dm is None:
        return
    for code in ("ARMCD", "ACTARMCD"):
        if code in dm.frame.columns:
            pseudo = text(dm.frame[code]).str.upper().isin(PSEUDO_ARMS)
            yield from row_findings(dm, pseudo, code)


@rule(
    id="TI-DM006",
    split="subject",
    severity=Severity.ERROR,
    scope="AE, DM",
    message="Fatal adverse event (AEOUT=FATAL or AESDTH=Y) ends on another date than DM.DTHDTC",
    references=["FDA FB0612", "CORE-000841", "SDTMIG 3.4 DM specification (DTHDTC)"],
)
def check_fatal_ae_end_is_death(ctx: Context) -> Iterator[Finding]:
    """The event that killed the subject ends at death: AEENDTC equals DTHDTC, compared at the precision both have
    (2014-10-31 matches 2014-10-31T08:00 and 2014-10). A missing AEENDTC is TI-AE003's finding, a missing DTHDTC
    is not judged here."""
    ae, dm = ctx.get("AE"), ctx.get("DM")
    if ae is None or dm is None or "AEENDTC" not in ae.frame.columns or "DTHDTC" not in dm.frame.columns:
        return
    if "USUBJID" not in ae.frame.columns or "USUBJID" not in dm.frame.columns:
        return
    fatal = pd.Series(False, index=ae.frame.index)
    if "AESDTH" in ae.frame.columns:
        fatal |= text(ae.frame["AESDTH"]) == "Y"
    if "AEOUT" in ae.frame.columns:
        fatal |= text(ae.frame["AEOUT"]) == "FATAL"
    deaths = pd.DataFrame({"USUBJID": text(dm.frame["USUBJID"]), "DTHDTC": text(dm.frame["DTHDTC"]).str.strip()})
    death = text(ae.frame["USUBJID"]).map(deaths.drop_duplicates("USUBJID").set_index("USUBJID")["DTHDTC"])
    death = death.fillna("").astype(str)
    end = text(ae.frame["AEENDTC"]).str.strip()
    width = pd.concat([end.str.len(), death.str.len()], axis=1).min(axis=1)
    # compare the common prefix: mask to the shorter length with a vectorised slice per distinct width
    differ = pd.Series(False, index=ae.frame.index)
    checked = fatal & (end != "") & (death != "")
    for n in pd.unique(width[checked]):
        rows = checked & (width == n)
        differ[rows] = end[rows].str.slice(0, int(n)) != death[rows].str.slice(0, int(n))
    yield from row_findings(ae, differ, "AEENDTC", values=end + " (DTHDTC " + death + ")")
