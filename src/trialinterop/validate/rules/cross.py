"""Cross-domain rules: subjects in DM, visits in SV and TV, supplemental qualifiers pointing at parent records."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialinterop.issues import Severity
from trialinterop.validate.context import Context
from trialinterop.validate.registry import Finding, rule
from trialinterop.validate.rules._common import blank, row_findings, subject_datasets, text


@rule(
    id="TI-XD001",
    split="subject",
    severity=Severity.ERROR,
    scope="subject datasets, DM",
    message="Subject (USUBJID) is not in DM",
    references=["P21 SD0064", "CDISC CG0029", "CORE-000201"],
)
def check_subjects_in_dm(ctx: Context) -> Iterator[Finding]:
    """Every subject in any dataset (SUPP-- and RELREC included) has a DM record."""
    dm = ctx.get("DM")
    if dm is None or "USUBJID" not in dm.frame.columns:
        return
    subjects = set(text(dm.frame["USUBJID"]))
    for ds in ctx.datasets():
        if ds.name == "DM" or "USUBJID" not in ds.frame.columns:
            continue
        values = text(ds.frame["USUBJID"])
        yield from row_findings(ds, (values != "") & ~values.isin(subjects), "USUBJID")


def _visit_key(frame: pd.DataFrame) -> pd.Series:
    """USUBJID|VISITNUM with VISITNUM rounded to 6 decimals (1.3 and 1.3000000000000003 are one visit)."""
    return text(frame["USUBJID"]) + "|" + text(pd.to_numeric(frame["VISITNUM"], errors="coerce").round(6))


@rule(
    id="TI-XD002",
    split="subject",
    severity=Severity.WARNING,
    scope="subject datasets with VISITNUM, SV",
    message="Visit (USUBJID, VISITNUM) is not in SV",
    references=["P21 SD0065", "SDTMIG 3.4 SV specification"],
)
def check_visits_in_sv(ctx: Context) -> Iterator[Finding]:
    """Each subject visit referenced in a domain is a Subject Visits record; without an SV dataset, each dataset
    with visits is one finding."""
    sv = ctx.get("SV")
    if sv is not None and not {"USUBJID", "VISITNUM"} <= set(sv.frame.columns):
        return
    known = set(_visit_key(sv.frame)) if sv is not None else set()
    for ds in subject_datasets(ctx.datasets()):
        if ds.name == "SV" or not {"USUBJID", "VISITNUM"} <= set(ds.frame.columns):
            continue
        visited = ~blank(ds.frame["VISITNUM"])
        if sv is None:
            if visited.any():
                yield Finding(ds.name, field="VISITNUM", detail="no SV dataset holds the visits of this dataset")
            continue
        yield from row_findings(ds, visited & ~_visit_key(ds.frame).isin(known), "VISITNUM")


@rule(
    id="TI-XD003",
    split="subject",
    severity=Severity.WARNING,
    scope="SV, TV",
    message="Planned visit (VISITNUM) is not in TV",
    references=["P21 SD1017", "P21 SD1018", "CDISC CG0033", "CORE-000270"],
)
def check_planned_visits_in_tv(ctx: Context) -> Iterator[Finding]:
    """Planned visits (SVPRESP=Y; without SVPRESP: visits with no SVUPDES) are defined in Trial Visits."""
    sv, tv = ctx.get("SV"), ctx.get("TV")
    if sv is None or tv is None or "VISITNUM" not in sv.frame.columns or "VISITNUM" not in tv.frame.columns:
        return
    planned = set(pd.to_numeric(tv.frame["VISITNUM"], errors="coerce").dropna())
    frame = sv.frame
    if "SVPRESP" in frame.columns:
        scheduled = text(frame["SVPRESP"]) == "Y"
    elif "SVUPDES" in frame.columns:
        scheduled = blank(frame["SVUPDES"])
    else:
        scheduled = pd.Series(True, index=frame.index)
    mask = scheduled & ~pd.to_numeric(frame["VISITNUM"], errors="coerce").isin(planned)
    yield from row_findings(sv, mask, "VISITNUM")


@rule(
    id="TI-XD004",
    split="package",
    severity=Severity.ERROR,
    scope="all datasets with VISITNUM and VISIT",
    message="VISITNUM has more than one VISIT name across the package",
    references=["SDTMIG 3.4 visit variables (VISITNUM, VISIT)"],
)
def check_visit_names(ctx: Context) -> Iterator[Finding]:
    """Each visit number has one visit name in every dataset (TV, SV and all domains)."""
    parts = []
    for ds in ctx.datasets():
        if {"VISITNUM", "VISIT"} <= set(ds.frame.columns):
            part = pd.DataFrame({"num": text(ds.frame["VISITNUM"]), "name": text(ds.frame["VISIT"])})
            parts.append(part[(part["num"] != "") & (part["name"] != "")].drop_duplicates().assign(ds=ds.name))
    if not parts:
        return
    pairs = pd.concat(parts).drop_duplicates(["num", "name"])
    for num, group in pairs.groupby("num", sort=True):
        if len(group) > 1:
            names = sorted(group["name"])
            yield Finding(",".join(sorted(set(group["ds"]))), field="VISITNUM", value=str(num), detail=f"names {names}")


@rule(
    id="TI-XD005",
    split="subject",
    severity=Severity.ERROR,
    scope="SUPP-- datasets",
    message="Supplemental qualifier does not point at a parent record",
    references=["SDTMIG 3.4 §8.4", "CDISC CG0371", "CDISC CG0373", "CORE-000206", "CORE-000457"],
)
def check_supp_parents(ctx: Context) -> Iterator[Finding]:
    """RDOMAIN names a dataset in the package; IDVAR is a variable of it; IDVARVAL matches a record of the subject."""
    for ds in ctx.datasets():
        if not ds.name.startswith("SUPP") or not {"RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"} <= set(ds.frame.columns):
            continue
        frame = ds.frame
        rdomain, idvar = text(frame["RDOMAIN"]), text(frame["IDVAR"])
        parents = {d: _parents(ctx, d) for d in pd.unique(rdomain.to_numpy())}
        empty = {d for d, found in parents.items() if not found}
        missing_parent = rdomain.isin(empty)
        yield from row_findings(ds, missing_parent, "RDOMAIN", detail="dataset not in the package")
        wanted = text(frame["USUBJID"]) + "|" + text(frame["IDVARVAL"]).str.strip()
        checked = ~missing_parent & (idvar != "")
        for (domain, var), group in frame[checked].groupby([rdomain[checked], idvar[checked]], sort=True):
            sources = [p for p in parents[domain] if var in p.frame.columns]
            in_group = frame.index.isin(group.index)
            if not sources:
                yield from row_findings(ds, pd.Series(in_group, index=frame.index), "IDVAR", detail=f"not in {domain}")
                continue
            keys = pd.concat(
                [text(p.frame["USUBJID"]) + "|" + text(p.frame[var]).str.strip() for p in sources], ignore_index=True
            )
            mask = pd.Series(in_group, index=frame.index) & ~wanted.isin(set(keys))
            yield from row_findings(ds, mask, "IDVARVAL", detail=f"no {domain} record")


def _parents(ctx: Context, domain: str) -> list:
    """The datasets of a domain: the dataset of that name and split datasets (LBCH, LBHE for LB)."""
    found = ctx.package.by_domain(domain)
    named = ctx.get(domain)
    if named is not None and named not in found:
        found.append(named)
    return [p for p in found if "USUBJID" in p.frame.columns]
